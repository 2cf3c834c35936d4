"""A village with a real key against the upstream's views, in one process (inprocess.py): what
a rooted village may not write, and what the client refuses to believe from the wire (an
answer too big to hold, a clock it did not get from a signed body)."""

import json
import re
import time
import uuid

import pytest
from django.utils.datastructures import CaseInsensitiveMapping

from hub.sync.models import Node, SyncRun, SyncState
from hub.sync.village.run import sync_run
from hub.sync.wire.signing import HEADER_SERVER_TIME
from marketplace.models import Bumdes, OrderRequest, ProductCategory
from tests.harness.inprocess import (
    InProcessResponse,
    InProcessTransport,
    village_linked,
)

UPSTREAM = "15"
VILLAGE = "1503012021"

# sync_run commits, so these tests do too (see test_client_inprocess.py)
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def transport(upstream, settings, tmp_path):
    """The village (this test's database), enrolled on the upstream with a real key, pinned."""
    linked = village_linked(upstream, settings, tmp_path / "village", VILLAGE)
    assert not Node.objects.filter(code=VILLAGE).exists()
    return linked


def test_a_village_creating_upstream_owned_records_is_refused_and_nothing_is_saved(
    upstream, transport
):
    # given a rooted village that made itself a popular category and an order request
    bumdes = Bumdes.objects.create(name="BUMDes Maju", slug="maju")
    category = ProductCategory.objects.create(name="Terlaris", slug="terlaris")
    request = OrderRequest.objects.create(
        bumdes=bumdes,
        code="RQFAKE",
        buyer_name="Pembeli palsu",
        buyer_phone="081200000000",
        lines=[{"product": str(uuid.uuid4()), "quantity": "1"}],
    )
    assert category.origin == request.origin == VILLAGE

    # when it syncs with its valid key
    run = sync_run(trigger="test", force=True, transport=transport)

    # then the upstream refused both (counted on the run), kept its BUMDes, saved neither
    assert run.outcome in (SyncRun.Outcome.OK, SyncRun.Outcome.PARTIAL), run.error
    assert run.refused == 2
    with upstream.active():
        assert Bumdes.objects.filter(pk=bumdes.pk).exists()
        assert not ProductCategory.objects.filter(pk=category.pk).exists()
        assert not OrderRequest.objects.filter(pk=request.pk).exists()


class EndlessAnswer(InProcessTransport):
    """A server (or a proxy) that answers with a body that never ends; counts what was read."""

    declared: str | None = None
    read = 0

    def answer(self, response):
        transport = self

        class Endless(InProcessResponse):
            def read(self, n=-1):
                assert n > 0, "the client must read in chunks, never the whole answer"
                transport.read += n
                return b"\0" * n

        headers = dict(response.headers)
        headers.pop("Content-Length", None)
        if self.declared is not None:
            headers["Content-Length"] = self.declared
        return Endless(response.status, headers, b"")


@pytest.mark.parametrize("declared", [None, str(10**12)], ids=["no-length", "declared-length"])
def test_an_oversized_answer_is_refused_without_being_read_whole(
    upstream, transport, settings, declared
):
    # given an answer cap of 256 KiB and an answer that never ends
    settings.SYNC_ANSWER_MAX_BYTES = 256 * 1024
    endless = EndlessAnswer(upstream)
    endless.declared = declared
    before = SyncState.load().push_seq

    # when the village syncs
    run = sync_run(trigger="test", force=True, transport=endless)

    # then the run fails on the cap, having read at most one chunk past it (nothing at all
    # when the answer said its size first), and no checkpoint moved
    assert run.outcome == SyncRun.Outcome.FAILED
    assert "262144-byte limit" in run.error, run.error
    assert endless.read <= settings.SYNC_ANSWER_MAX_BYTES + 64 * 1024
    if declared:
        assert endless.read == 0
    assert SyncState.load().push_seq == before


class ForgedServerTime(InProcessTransport):
    """A man in the middle who writes a server time of their own on every answer."""

    def answer(self, response):
        headers = {**response.headers, HEADER_SERVER_TIME: str(int(time.time()) + 86400 * 365)}
        response.headers = CaseInsensitiveMapping(headers)
        return response


class ForgedBodyTime(InProcessTransport):
    """A man in the middle who rewrites the server time inside a "stale" refusal's body."""

    def answer(self, response):
        if response.status == 401:
            body = json.loads(response.data)
            body["server_time"] = int(time.time()) + 86400 * 365
            response.data = json.dumps(body).encode()
        return response


def test_a_forged_server_time_header_changes_nothing(upstream, transport):
    # given a village whose clock is a day behind (its requests are stale to the upstream)
    SyncState.objects.filter(pk=1).update(clock_offset=-86400)

    # when it syncs through a link that forges X-Balai-Server-Time on every answer
    run = sync_run(trigger="test", force=True, transport=ForgedServerTime(upstream))

    # then it took the time from the signed "stale" body, not the header: it is right again
    assert run.outcome == SyncRun.Outcome.OK, run.error
    assert abs(SyncState.load().clock_offset) <= 5
    # and on a good clock the forged header moves nothing either
    again = sync_run(trigger="test", force=True, transport=ForgedServerTime(upstream))
    assert again.outcome == SyncRun.Outcome.OK, again.error
    assert abs(SyncState.load().clock_offset) <= 5


def test_a_forged_server_time_in_the_body_breaks_the_signature(upstream, transport):
    # given a village whose clock is a day behind
    SyncState.objects.filter(pk=1).update(clock_offset=-86400)

    # when the "stale" refusal's body is rewritten on the way
    run = sync_run(trigger="test", force=True, transport=ForgedBodyTime(upstream))

    # then the answer is not believed and the clock offset is unchanged
    assert run.outcome == SyncRun.Outcome.FAILED
    assert "not signed by the pinned upstream" in run.error
    assert SyncState.load().clock_offset == -86400


def test_the_upstream_checks_the_signature_before_answering_stale(upstream, transport):
    # given a request whose time was altered on the way (its signature no longer matches)
    from hub.sync.village.transport import Upstream

    state = SyncState.load()
    up = Upstream(state, VILLAGE, transport=transport)
    headers, _nonce = up._headers("GET", "/sync/v2/changes?after=0", b"")
    headers["Signature-Input"] = re.sub(
        r"created=[0-9]+", f"created={int(time.time()) - 86400}", headers["Signature-Input"]
    )

    # when it reaches the upstream
    response = transport.request(
        "GET", "http://upstream.test/sync/v2/changes?after=0", body=None, headers=headers
    )

    # then the answer is "bad signature", never a signed "stale" carrying the server's time
    assert response.status == 401
    assert json.loads(response.data)["error"] == "bad_signature"
