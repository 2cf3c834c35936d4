"""Protocol v2: RFC 9421 signatures with RFC 9530 digests, served beside v1 (issue 11).

The village speaks v2; the upstream still answers a village that speaks v1; a request whose
digest, path, time, nonce, generation or key is not what was signed is refused and nothing is
applied; answers verify with the ``http-message-signatures`` library alone (docs/sync-protocol.md
shows the same snippet for a province's other systems).
"""

import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms

from hub.site.models import Announcement
from hub.sync.changes.feed import push_batch
from hub.sync.models import Node, SeenNonce, SyncRun, SyncState
from hub.sync.village.run import sync_run
from hub.sync.village.transport import Upstream
from hub.sync.wire import httpsig, keys
from hub.sync.wire.codec import encode_page
from tests.harness.inprocess import village_linked

UPSTREAM = "15"
VILLAGE = "1503012021"
URL = "http://upstream.test"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def transport(upstream, settings, tmp_path):
    return village_linked(upstream, settings, tmp_path / "village", VILLAGE, url=URL)


def notice(title: str) -> Announcement:
    return Announcement.objects.create(title=title, body="<p>Isi</p>", publish_at=timezone.now())


def on_upstream(upstream, pk) -> bool:
    with upstream.active():
        return Announcement.objects.filter(pk=pk).exists()


def push_body() -> bytes:
    batch = push_batch(me=VILLAGE, after=0, max_bytes=1 << 20)
    header = {"batch": {"after": batch.after, "to": batch.to}, "cursor": 0, "heartbeat": {}}
    return encode_page(header, batch.items)


def send(transport, method: str, path: str, headers: dict, body: bytes = b""):
    headers = {**headers, "Content-Type": "application/x-ndjson"}
    return transport.request(method, URL + path, body=body or None, headers=headers)


def test_the_village_speaks_v2_and_its_changes_arrive(upstream, transport):
    # given a village record
    made = notice("Kerja bakti v2")
    # when the village syncs
    run = sync_run(trigger="test", force=True, transport=transport)
    # then every request went to /sync/v2/ and was accepted, and the record arrived
    assert run.outcome == SyncRun.Outcome.OK, run.error
    assert transport.requests and all(p.startswith("/sync/v2/") for _m, p, _s in transport.requests)
    assert on_upstream(upstream, made.pk)


def test_a_village_that_still_speaks_v1_syncs_with_the_new_upstream(upstream, transport, settings):
    # given a village not upgraded yet: the old scheme, no generations
    settings.SYNC_PROTOCOL = 1
    made = notice("Desa lama")
    # when it syncs
    run = sync_run(trigger="test", force=True, transport=transport)
    # then it used /sync/v1/ only, its record arrived, and no generation was recorded for it
    assert run.outcome == SyncRun.Outcome.OK, run.error
    assert all(p.startswith("/sync/v1/") for _m, p, _s in transport.requests)
    assert on_upstream(upstream, made.pk)
    with upstream.active():
        assert Node.objects.get(code=VILLAGE).generation == ""


def test_answers_verify_with_the_library_alone(upstream, transport):
    # given a signed v2 request as the village sends it, and the upstream's answer
    up = Upstream(SyncState.load(), VILLAGE, transport=transport)
    headers, nonce = up._headers("GET", "/sync/v2/changes?after=0", b"")
    response = send(transport, "GET", "/sync/v2/changes?after=0", headers)
    assert response.status == 200
    request = httpsig.Request("GET", URL + "/sync/v2/changes?after=0", headers)

    # when another system checks both with nothing but the library and the two public keys
    resolver = MappingKeyResolver(
        public_keys={
            UPSTREAM: keys.parse_public_key(upstream.public_key),
            VILLAGE: keys.load_private_key().public_key(),
        },
        private_keys={},
    )
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
    asked = verifier.verify(request, body=b"", expect_tag="balai-sync", expect_label="balai")
    answered = verifier.verify(
        httpsig.Answer(response.status, response.headers, request),
        body=response.data,
        expect_tag="balai-sync",
        expect_label="balai",
        max_age=None,
    )

    # then both verify: the request is the village's with its nonce, the answer the upstream's,
    # bound to that request and carrying its body's digest
    assert asked[0].parameters["keyid"] == VILLAGE and asked[0].nonce == nonce
    assert answered[0].parameters["keyid"] == UPSTREAM
    assert answered[0].body == response.data
    assert '"signature";key="balai";req' in answered[0].covered_components


def _tampered(case: str, headers: dict, body: bytes) -> tuple[str, dict, bytes]:
    """The push as signed, changed on the way as ``case`` says."""
    if case == "digest":
        return "/sync/v2/push", headers, body + b"\x00"
    if case == "content-digest header":
        return "/sync/v2/push", {**headers, "Content-Digest": "sha-256=:" + "A" * 43 + "=:"}, body
    if case == "path":
        return "/sync/v2/push?after=0", headers, body
    if case == "generation":
        return "/sync/v2/push", {**headers, "Balai-Generation": "0" * 16}, body
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["digest", "content-digest header", "path", "generation"])
def test_a_request_changed_on_the_way_is_refused_and_nothing_is_applied(upstream, transport, case):
    # given a push of a village record, signed
    made = notice("Tidak boleh sampai")
    body = push_body()
    up = Upstream(SyncState.load(), VILLAGE, transport=transport)
    headers, _nonce = up._headers("POST", "/sync/v2/push", body)
    # when it is changed on the way (the body, its digest, the path, the generation)
    path, headers, body = _tampered(case, headers, body)
    response = send(transport, "POST", path, headers, body)
    # then the upstream refuses it as a bad signature, and the record is not there
    assert response.status == 401, response.data
    assert json.loads(response.data)["error"] == "bad_signature"
    assert not on_upstream(upstream, made.pk)


def test_a_request_signed_by_another_key_is_refused(upstream, transport):
    # given a push signed with a key that is not the one enrolled for the village's code
    made = notice("Kunci curian")
    body = push_body()
    headers = {httpsig.HEADER_GENERATION: "0123456789abcdef"}
    httpsig.request_sign(
        method="POST", url=URL + "/sync/v2/push", headers=headers, body=body, key_id=VILLAGE,
        key=Ed25519PrivateKey.generate(), created=int(time.time()), nonce=httpsig.new_nonce(),
    )  # fmt: skip
    # when it is sent
    response = send(transport, "POST", "/sync/v2/push", headers, body)
    # then it is refused, nothing applied
    assert response.status == 401
    assert json.loads(response.data)["error"] == "bad_signature"
    assert not on_upstream(upstream, made.pk)


def test_an_old_request_is_refused_as_stale_with_the_server_time(upstream, transport):
    # given a push signed an hour ago (the village's clock is behind)
    made = notice("Jam salah")
    body = push_body()
    state = SyncState.load()
    state.clock_offset = -3600
    up = Upstream(state, VILLAGE, transport=transport)
    headers, _nonce = up._headers("POST", "/sync/v2/push", body)
    # when it is sent
    response = send(transport, "POST", "/sync/v2/push", headers, body)
    # then it is refused as stale, in an answer signed for this request that gives the time
    assert response.status == 401
    detail = json.loads(response.data)
    assert detail["error"] == "stale" and abs(detail["server_time"] - time.time()) < 60
    up.verify(response, _nonce, response.data)
    assert not on_upstream(upstream, made.pk)


def test_a_replayed_request_is_refused(upstream, transport):
    # given a signed request the upstream has answered
    up = Upstream(SyncState.load(), VILLAGE, transport=transport)
    headers, nonce = up._headers("GET", "/sync/v2/changes?after=0", b"")
    assert send(transport, "GET", "/sync/v2/changes?after=0", headers).status == 200
    # when the same request is sent again
    response = send(transport, "GET", "/sync/v2/changes?after=0", headers)
    # then it is refused as a replay
    assert response.status == 401
    assert json.loads(response.data)["error"] == "replay"
    with upstream.active():
        assert SeenNonce.objects.filter(node=VILLAGE, nonce=nonce).count() == 1


def test_answers_to_requests_in_flight_together_are_each_bound_to_their_own(upstream, transport):
    # given two requests signed before either is answered (a pipelined push sends them from
    # two threads)
    up = Upstream(SyncState.load(), VILLAGE, transport=transport)
    first, first_nonce = up._headers("GET", "/sync/v2/changes?after=0", b"")
    second, second_nonce = up._headers("GET", "/sync/v2/changes?after=0", b"")
    # when both answers come back
    answers = [send(transport, "GET", "/sync/v2/changes?after=0", h) for h in (first, second)]
    # then each verifies against its own request, in whatever order they are read
    up.verify(answers[1], second_nonce, answers[1].data)
    up.verify(answers[0], first_nonce, answers[0].data)


def test_an_answer_bound_to_another_request_is_not_an_answer(upstream, transport):
    # given two signed requests and the answer to the first
    up = Upstream(SyncState.load(), VILLAGE, transport=transport)
    first, first_nonce = up._headers("GET", "/sync/v2/changes?after=0", b"")
    answer = send(transport, "GET", "/sync/v2/changes?after=0", first)
    up.verify(answer, first_nonce, answer.data)  # (it is the answer to the first)
    _second, second_nonce = up._headers("GET", "/sync/v2/changes?after=0", b"")
    # when it is offered as the answer to the second
    # then the village does not take it
    with pytest.raises(Exception, match="not signed by the pinned upstream"):
        up.verify(answer, second_nonce, answer.data)
