"""Pipelined push, the upstream's side (issue 11, speed at the physical limit): a batch sent
while the one before it is still on its way says ``"ordered": true`` and is applied only in
order; ``"feed": false`` asks for the ack alone. The village's side runs between real
processes (tests/e2e/test_sync_e2e.py), since its batches go out on two threads."""

import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from hub.site.models import Announcement
from hub.sync.models import Node
from hub.sync.registry import spec_for
from hub.sync.upstream import services
from hub.sync.upstream.enrollment import village_enroll
from hub.sync.wire import keys
from hub.sync.wire.codec import WireError, decode_page, dumps, encode_page, record_to_wire
from tests.harness.inprocess import node_settings

UPSTREAM = "15"
VILLAGE = "1503012021"


@pytest.fixture
def node(db, settings, tmp_path):
    """This test's database is the upstream; one enrolled village that has pushed up to 10."""
    for name, value in node_settings(
        tmp_path / "upstream", HUB_ROLE="upstream", SYNC_NODE_CODE=UPSTREAM
    ).items():
        setattr(settings, name, value)
    keys.node_key_create()
    settings.SYNC_PUSH_ORDER_WAIT = 0  # refuse at once: no batch before is on its way here
    village_key = Ed25519PrivateKey.generate()
    node, _created = village_enroll(
        code=VILLAGE, public_key=keys.public_key_text(village_key.public_key())
    )
    Node.objects.filter(pk=node.pk).update(push_seq=10)
    node.refresh_from_db()
    return node


def notices(n: int, prefix: str) -> list[bytes]:
    spec = spec_for("site.announcement")
    out = []
    for i in range(n):
        obj = Announcement(
            pk=uuid.uuid4(),
            title=f"{prefix} {i}",
            body="<p>Kerja bakti di balai desa.</p>",
            publish_at=timezone.now(),
            origin=VILLAGE,
            rev=1,
        )
        out.append(dumps(record_to_wire(obj, spec)))
    return out


def body(after: int, to: int, items: list[bytes], **extra) -> bytes:
    batch = {"after": after, "to": to, **extra.pop("batch", {})}
    return encode_page({"batch": batch, "cursor": 0, "heartbeat": {}, **extra}, items)


def test_an_ordered_batch_whose_predecessor_never_came_is_refused_and_nothing_applied(node):
    # given an upstream that has applied this village's journal up to 10, and a pipelined
    # batch 20-30 whose batch 10-20 was lost on the way
    items = notices(3, "hilang")
    # when it arrives (nothing ahead of it on its way: the wait is 0 s)
    with pytest.raises(services.OutOfOrder) as refused:
        services.push_receive(node=node, body=body(20, 30, items, batch={"ordered": True}))
    # then it is refused with the checkpoint the village must send from, and nothing applied
    assert refused.value.push_seq == 10
    assert not Announcement.objects.filter(title__startswith="hilang").exists()
    node.refresh_from_db()
    assert node.push_seq == 10


def test_an_ordered_batch_that_continues_the_checkpoint_is_applied_and_says_so(node):
    # given a pipelined batch 10-20 (the one before it, up to 10, applied here)
    items = notices(3, "urut")
    # when it arrives asking for no feed page
    answer = services.push_receive(
        node=node, body=body(10, 20, items, batch={"ordered": True}, feed=False)
    )
    # then it is applied, the ack says everything up to 20 is applied in order, and there is
    # no feed page in the answer
    header, page_items = decode_page(answer)
    assert header["ack"]["in_order"] is True
    assert (header["ack"]["after"], header["ack"]["to"], header["ack"]["applied"]) == (10, 20, 3)
    assert "page" not in header and page_items == []
    assert Announcement.objects.filter(title__startswith="urut").count() == 3
    node.refresh_from_db()
    assert node.push_seq == 20


def test_a_batch_without_the_flags_is_applied_as_before_whatever_the_checkpoint(node):
    # given a batch that does not say it is pipelined (an older village, or the first batch of
    # a pipeline), beyond the checkpoint
    items = notices(2, "lama")
    # when it arrives
    answer = services.push_receive(node=node, body=body(40, 50, items))
    # then it is applied (records are idempotent by rev), with the first feed page as before
    header, _items = decode_page(answer)
    assert header["ack"]["applied"] == 2 and "in_order" not in header["ack"]
    assert header["page"]["after"] == 0
    node.refresh_from_db()
    assert node.push_seq == 50


@pytest.mark.parametrize(
    "extra",
    [{"batch": {"ordered": 1}}, {"batch": {"ordered": "true"}}, {"feed": 0}, {"feed": None}],
)
def test_flags_that_are_not_true_or_false_are_refused_and_nothing_applied(node, extra):
    # given a batch whose pipelining flags are not booleans
    items = notices(1, "salah")
    # then it is refused as malformed, nothing applied, the checkpoint unmoved
    with pytest.raises(WireError):
        services.push_receive(node=node, body=body(10, 20, items, **extra))
    assert not Announcement.objects.filter(title__startswith="salah").exists()
    node.refresh_from_db()
    assert node.push_seq == 10
