"""Trust: an enrolled village is not trusted with anyone else's data (issue 11).

Region bundles carry only what is addressed to a whole region; a village drops (and counts)
every relayed record not addressed to it, from a bundle or the feed alike; a model's owner role
and the visibility of what a synced foreign key points at are checked on apply.
"""

import io
import json
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.utils import timezone

from hub.site.models import Announcement
from hub.sync.bundles.container import open_bundle, write_bundle
from hub.sync.bundles.exchange import bundle_export
from hub.sync.changes.apply import changes_apply
from hub.sync.changes.feed import feed_page, scope_page
from hub.sync.models import HeldChange, JournalEntry
from hub.sync.registry import received_from_origin, register, spec_for
from hub.sync.village.pinning import upstream_set
from hub.sync.wire import keys
from hub.sync.wire.codec import decode_page, decompress, dumps, encode_page, record_to_wire
from marketplace.models import Bumdes, OrderRequest, Product, ProductCategory
from tests.harness.inprocess import node_settings

UPSTREAM = "15"
SELLER = "1503012022"  # village A: the seller an outside buyer writes to
HERE = "1503012021"  # village B: this test database's village (the ``village`` fixture)
BUYER_NAME = "Siti Rahayu Pembeli"
BUYER_PHONE = "081298765432"
BUYER_ADDRESS = "Jl. Kenanga Rahasia 7"


@pytest.fixture
def as_upstream(db, settings, tmp_path):
    """This test's database plays the province upstream, with its own node key."""
    for name, value in node_settings(
        tmp_path / "upstream", HUB_ROLE="upstream", SYNC_NODE_CODE=UPSTREAM
    ).items():
        setattr(settings, name, value)
    key, _created = keys.node_key_create()
    return key


def outside_request(bumdes) -> OrderRequest:
    return OrderRequest(
        bumdes=bumdes,
        code="RQ7KX2",
        buyer_name=BUYER_NAME,
        buyer_phone=BUYER_PHONE,
        buyer_place="Padang",
        fulfilment="delivery",
        delivery_address=BUYER_ADDRESS,
        note="tolong telepon dulu",
        lines=[{"product": str(uuid.uuid4()), "quantity": "2", "unit_price": 15000}],
        total=30000,
    )


def test_region_bundle_holds_no_trace_of_a_record_addressed_to_one_village(as_upstream, tmp_path):
    # given on the upstream: village A's BUMDes, an outside buyer's request to it, a category
    # and a province announcement
    with received_from_origin():
        seller = Bumdes.objects.create(name="BUMDes A", slug="bumdes-a", origin=SELLER, rev=1)
    request = outside_request(seller)
    request.save()
    category = ProductCategory.objects.create(name="Madu hutan", slug="madu-hutan")
    notice = Announcement.objects.create(
        title="Vaksinasi provinsi", body="<p>Isi</p>", publish_at=timezone.now()
    )
    # (the request is in the journal, in village A's own feed)
    feed = feed_page(village_code=SELLER, after=0, max_bytes=1 << 20)
    assert any(BUYER_PHONE.encode() in item for item in feed.items)

    # when a region bundle is exported for the province
    path = tmp_path / "region.balai"
    summary = bundle_export(path=path, scope=UPSTREAM)

    # then, page by page and record by record, it carries the category and the announcement
    # and nothing of the request or its buyer
    trusted = keys.public_key_text(as_upstream.public_key())
    seen, raw = {}, b""
    with open_bundle(path, trusted_key=lambda signer: trusted) as bundle:
        for data in bundle.pages():
            raw += decompress(data)
            _header, items = decode_page(data)
            for item in items:
                seen[item["id"]] = item
    assert summary["records"] == len(seen) == 2
    assert set(seen) == {str(category.pk), str(notice.pk)}
    assert all(item["a"] == UPSTREAM for item in seen.values())
    for trace in (str(request.pk), BUYER_NAME, BUYER_PHONE, BUYER_ADDRESS, "RQ7KX2"):
        assert trace.encode() not in raw, trace


def test_region_pages_of_a_kabupaten_keep_whole_regions_only(as_upstream):
    # given records whose journal rows address everyone, the province, the kabupaten, its
    # kecamatan, another kabupaten and a single village
    audiences = ["", "15", "1503", "150301", "1504", HERE]
    by_audience = {}
    for audience in audiences:
        notice = Announcement.objects.create(
            title=f"Untuk {audience or 'semua'}", body="<p>Isi</p>", publish_at=timezone.now()
        )
        JournalEntry.objects.filter(uid=notice.pk).update(audience=audience)
        by_audience[audience] = str(notice.pk)
    # when the pages of a bundle for kabupaten 1503 are read
    page = scope_page(prefix="1503", after=0, max_bytes=1 << 20)
    # then they hold whole regions around or within it, never one village's record
    got = {json.loads(item)["id"] for item in page.items}
    assert got == {by_audience[a] for a in ("", "15", "1503", "150301")}


def _relayed(obj, audience=...) -> dict:
    item = record_to_wire(obj, spec_for(type(obj)))
    if audience is not ...:
        item["a"] = audience
    return item


@pytest.fixture
def pinned(village, settings, tmp_path):
    """Village B, pinned to an upstream whose private key the test holds (to sign crafted
    bundles with it)."""
    for name, value in node_settings(tmp_path / "village", SYNC_NODE_CODE=HERE).items():
        setattr(settings, name, value)
    keys.node_key_create()
    upstream_key = Ed25519PrivateKey.generate()
    upstream_set(
        url="http://upstream.test",
        public_key=keys.public_key_text(upstream_key.public_key()),
        code=UPSTREAM,
    )
    return upstream_key


def test_crafted_region_bundle_with_another_village_s_request_is_dropped_and_counted(
    pinned, tmp_path
):
    # given a region bundle signed by the pinned upstream's key that carries, besides a
    # province announcement, an outside request for village A (with its audience, and without)
    # and a notice for another kabupaten
    seller = Bumdes(pk=uuid.uuid4(), name="BUMDes A", slug="bumdes-a", origin=SELLER, rev=1)
    with_audience = outside_request(seller)
    with_audience.pk, with_audience.origin, with_audience.rev = uuid.uuid4(), UPSTREAM, 1
    without_audience = outside_request(seller)
    without_audience.pk, without_audience.origin, without_audience.rev = uuid.uuid4(), "15", 1
    province = Announcement(
        pk=uuid.uuid4(), title="Vaksinasi", publish_at=timezone.now(), origin=UPSTREAM, rev=1
    )
    elsewhere = Announcement(
        pk=uuid.uuid4(), title="Pasar 1504", publish_at=timezone.now(), origin=UPSTREAM, rev=2
    )
    items = [
        _relayed(with_audience, SELLER),
        _relayed(without_audience),
        _relayed(province, UPSTREAM),
        _relayed(elsewhere, "1504"),
    ]
    path = tmp_path / "crafted.balai"
    write_bundle(
        path,
        signer=UPSTREAM,
        key=pinned,
        meta={
            "direction": "down",
            "scope": UPSTREAM,
            "for_node": None,
            "after": 0,
            "to": 4,
            "records": 4,
        },  # fmt: skip
        pages=[encode_page({"page": {"after": 0, "to": 4}}, [dumps(i) for i in items])],
        blobs=[],
    )

    # when village B imports it
    out = io.StringIO()
    call_command("import_bundle", str(path), "--json", stdout=out, stderr=io.StringIO())
    summary = json.loads(out.getvalue().strip().splitlines()[-1])

    # then the announcement is applied; the three others are dropped and counted, not held
    assert (summary["applied"], summary["dropped"], summary["refused"]) == (1, 3, 0)
    assert Announcement.objects.filter(pk=province.pk).exists()
    assert not Announcement.objects.filter(pk=elsewhere.pk).exists()
    assert not OrderRequest.objects.exists()
    assert not HeldChange.objects.exists()
    # and the operator is told (the plain summary says so too)
    text = io.StringIO()
    call_command("import_bundle", str(path), stdout=text, stderr=io.StringIO())
    assert "dropped, not for this village: 3" in text.getvalue()


def test_feed_items_not_addressed_here_are_dropped_the_same_way(pinned):
    # given items from the upstream's feed, one for this village and one for village A
    mine = Announcement(pk=uuid.uuid4(), title="Untuk B", publish_at=timezone.now(), origin="15")
    mine.rev = 1
    theirs = Announcement(pk=uuid.uuid4(), title="Untuk A", publish_at=timezone.now(), origin="15")
    theirs.rev = 1
    # when they are applied as a pull applies them
    result = changes_apply(
        [_relayed(mine, HERE), _relayed(theirs, SELLER)],
        sender=UPSTREAM,
        me=HERE,
        sender_is_upstream=True,
    )
    # then
    assert (result.applied, result.dropped, result.refused) == (1, 1, [])
    assert list(Announcement.objects.values_list("title", flat=True)) == ["Untuk B"]


def test_a_village_may_not_write_an_upstream_owned_kind_of_record(as_upstream):
    # given a category and an order request a (rooted) village made itself
    category = ProductCategory(pk=uuid.uuid4(), name="Populer", slug="populer", origin=HERE)
    category.rev = 1
    with received_from_origin():
        own = Bumdes.objects.create(name="BUMDes B", slug="bumdes-b", origin=HERE, rev=1)
    request = outside_request(own)
    request.pk, request.origin, request.rev = uuid.uuid4(), HERE, 1
    items = [_relayed(category), _relayed(request)]
    # when it pushes them
    result = changes_apply(items, sender=HERE, me=UPSTREAM, sender_is_upstream=False)
    # then both are refused with the reason, and nothing is saved
    assert result.applied == 0
    reasons = sorted(r["reason"] for r in result.refused)
    assert reasons == [
        "marketplace.orderrequest is written by the upstream only, not by a village",
        "marketplace.productcategory is written by the upstream only, not by a village",
    ]
    assert not ProductCategory.objects.exists() and not OrderRequest.objects.exists()


def test_the_upstream_may_not_originate_a_village_owned_kind_of_record(pinned):
    # given a BUMDes claiming the upstream as its origin
    bumdes = Bumdes(pk=uuid.uuid4(), name="BUMDes palsu", slug="palsu", origin=UPSTREAM, rev=1)
    # when it comes down the feed
    result = changes_apply(
        [_relayed(bumdes, HERE)], sender=UPSTREAM, me=HERE, sender_is_upstream=True
    )
    # then it is refused
    assert result.refused[0]["reason"] == (
        "marketplace.bumdes is written by villages only, not by the upstream"
    )
    assert not Bumdes.objects.exists()


def test_a_village_may_point_at_a_record_addressed_to_it(as_upstream):
    # given a province category (addressed to the whole province)
    category = ProductCategory.objects.create(name="Kopi", slug="kopi")
    with received_from_origin():
        own = Bumdes.objects.create(name="BUMDes B", slug="bumdes-b", origin=HERE, rev=1)
    product = Product(
        pk=uuid.uuid4(), bumdes=own, category=category, name="Kopi", slug="kopi", price=1000,
        stock=1, origin=HERE, rev=1,
    )  # fmt: skip
    # when the village pushes its product in that category
    result = changes_apply([_relayed(product)], sender=HERE, me=UPSTREAM, sender_is_upstream=False)
    # then it is applied
    assert (result.applied, result.refused) == (1, [])


def test_register_requires_an_owner_role():
    # an owner is required, and must be one of the three roles
    with pytest.raises(TypeError):
        register(Announcement)
    with pytest.raises(ValueError, match="owner must be one of upstream, village, either"):
        register(Announcement, owner="anyone")
    # and the registered models keep theirs
    assert spec_for(ProductCategory).owner == "upstream"
    assert spec_for(Bumdes).owner == "village"
    assert spec_for(Announcement).owner == "either"
