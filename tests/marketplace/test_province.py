"""The province market on the upstream role: the catalogue of every village, the outside
buyer's request and its status page, and the categories seed command.

The test settings are the village role. The market's views read the role and the node code at
request time and the upstream role has its own ``ROOT_URLCONF``, so the ``upstream`` fixture
overrides the three settings as ``hub.settings.upstream`` sets them; records from villages are
written the way the sync engine writes them (``applying()``, the village's origin).
tests/e2e/test_market_sync.py runs the same pages on a real upstream.
"""

import gzip
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from hub.core import pagecache
from hub.sync.core.journal import applying
from hub.sync.models import Node
from marketplace.models import (
    Bumdes,
    Order,
    OrderLine,
    OrderRequest,
    OrderStatus,
    Product,
    ProductCategory,
)
from marketplace.services import LineWanted, order_request_place

UPSTREAM = "15"
SAROLANGUN_A = "1503012021"  # Bukit Berantai, Kabupaten Sarolangun
SAROLANGUN_B = "1503012001"  # Tambak Ratu, Kabupaten Sarolangun
BATANGHARI = "1504012002"  # Sengkati Kecil, Kabupaten Batanghari


@pytest.fixture
def upstream(db):
    # override_settings clears Django's URL caches when ROOT_URLCONF changes (and back after)
    with override_settings(
        HUB_ROLE="upstream", SYNC_NODE_CODE=UPSTREAM, ROOT_URLCONF="hub.urls_upstream"
    ):
        yield


def synced_in(origin, model, **fields):
    """A record as it arrives from ``origin`` through sync."""
    with applying():
        obj = model(origin=origin, rev=1, **fields)
        obj.save()
    return obj


@pytest.fixture
def categories(upstream):
    call_command("market_categories_seed", stdout=io.StringIO())
    return {c.slug: c for c in ProductCategory.objects.all()}


@pytest.fixture
def market(categories):
    """Three villages in two kabupaten, each with a BUMDes and products, synced at known times."""
    now = timezone.now()
    made = {}
    for code, bumdes_name, synced_ago in (
        (SAROLANGUN_A, "BUMDes Maju Bersama", timedelta(hours=3)),
        (SAROLANGUN_B, "BUMDes Tambak Jaya", timedelta(minutes=20)),
        (BATANGHARI, "BUMDes Sengkati Makmur", timedelta(days=3)),
    ):
        Node.objects.create(code=code, public_key="x" * 43, last_seen_at=now - synced_ago)
        made[code] = synced_in(code, Bumdes, name=bumdes_name, slug="bumdes", whatsapp="")
    products = {
        "beras": synced_in(
            SAROLANGUN_A,
            Product,
            bumdes=made[SAROLANGUN_A],
            category=categories["hasil-pertanian"],
            name="Beras merah",
            slug="beras-merah",
            price=15000,
            unit="kg",
            fractional=True,
            stock=Decimal("12.5"),
            min_order=Decimal("0.5"),
        ),
        "ikan": synced_in(
            SAROLANGUN_B,
            Product,
            bumdes=made[SAROLANGUN_B],
            category=categories["perikanan"],
            name="Ikan patin segar",
            slug="ikan-patin",
            price=32000,
            unit="kg",
            fractional=True,
            stock=Decimal("8"),
        ),
        "tikar": synced_in(
            BATANGHARI,
            Product,
            bumdes=made[BATANGHARI],
            category=categories["kerajinan"],
            name="Tikar pandan",
            slug="tikar-pandan",
            price=85000,
            unit="lembar",
            stock=Decimal("4"),
        ),
    }
    hidden = synced_in(
        BATANGHARI,
        Product,
        bumdes=made[BATANGHARI],
        name="Keranjang rotan (tidak dijual lagi)",
        slug="keranjang",
        price=40000,
        active=False,
    )
    return {"bumdes": made, "products": products, "hidden": hidden}


def names_on(response) -> set[str]:
    return {p.name for p in response.context["products"]}


def request_post(product, **fields):
    data = {
        "price_seen": str(product.price),
        "quantity": "2",
        "buyer_name": "Budi Santoso",
        "buyer_phone": "0813 1111 2222",
        "buyer_place": "Kota Jambi",
        "fulfilment": "ambil",
        "delivery_address": "",
        "note": "",
    }
    data.update(fields)
    return data


# --- the catalogue ---


def test_catalogue_shows_every_village_with_its_bumdes_and_last_sync(client, market):
    # when a buyer opens the province market
    response = client.get("/pasar/")
    # then every product for sale of every village is there, the inactive one is not
    assert response.status_code == 200
    assert names_on(response) == {"Beras merah", "Ikan patin segar", "Tikar pandan"}
    html = response.content.decode()
    assert "Keranjang rotan" not in html
    # with its village (official name, kabupaten), its BUMDes and how old its stock is
    assert "Desa Bukit Berantai, Kabupaten Sarolangun" in html
    assert "Desa Sengkati Kecil, Kabupaten Batanghari" in html
    assert "BUMDes Maju Bersama" in html
    assert "Stok per sinkronisasi terakhir desa: 3\xa0jam lalu" in html
    assert "Stok per sinkronisasi terakhir desa: 20\xa0menit lalu" in html
    # prices in rupiah, no script anywhere
    assert "Rp 15.000" in html and "Rp 85.000" in html
    assert "<script" not in html.replace('<script src="/static/site/sw-register.js" defer>', "")


def test_catalogue_filters_by_kabupaten_village_category_and_search(client, market):
    # when filtered by kabupaten, by village, by category and searched
    by_kabupaten = client.get("/pasar/", {"kabupaten": "1503"})
    by_village = client.get("/pasar/", {"kabupaten": "1503", "desa": SAROLANGUN_B})
    by_category = client.get("/pasar/", {"kategori": "kerajinan"})
    by_search = client.get("/pasar/", {"q": "patin"})
    nothing = client.get("/pasar/", {"q": "durian"})
    # then each shows only what it should
    assert names_on(by_kabupaten) == {"Beras merah", "Ikan patin segar"}
    assert names_on(by_village) == {"Ikan patin segar"}
    assert names_on(by_category) == {"Tikar pandan"}
    assert names_on(by_search) == {"Ikan patin segar"}
    assert names_on(nothing) == set()
    assert "Tidak ada produk yang cocok" in nothing.content.decode()
    # and the filter links name the kabupaten and, once one is chosen, its villages
    html = by_kabupaten.content.decode()
    assert ">Kabupaten Batanghari</a>" in html
    assert ">Desa Tambak Ratu</a>" in html and ">Desa Bukit Berantai</a>" in html
    assert ">Desa Sengkati Kecil</a>" not in html
    # while without a kabupaten no village is offered (a province has hundreds)
    assert ">Desa Tambak Ratu</a>" not in client.get("/pasar/").content.decode()


def test_catalogue_ignores_malformed_filters(client, market):
    # when the filters are garbage (or contradict each other)
    response = client.get(
        "/pasar/", {"kabupaten": "15x3", "desa": BATANGHARI + "9", "kategori": "tidak-ada"}
    )
    mismatched = client.get("/pasar/", {"kabupaten": "1503", "desa": BATANGHARI})
    # then they are ignored, not an error
    assert response.status_code == 200 and len(names_on(response)) == 3
    assert names_on(mismatched) == {"Beras merah", "Ikan patin segar"}


def test_catalogue_pages_keep_the_filters(client, market):
    # given 30 more products in one village
    for i in range(30):
        synced_in(
            SAROLANGUN_A,
            Product,
            bumdes=market["bumdes"][SAROLANGUN_A],
            name=f"Keripik {i:02d}",
            slug=f"keripik-{i}",
            price=10000,
            stock=Decimal("5"),
        )
    # when the first and second pages of that village are asked for
    first = client.get("/pasar/", {"desa": SAROLANGUN_A})
    second = client.get("/pasar/", {"desa": SAROLANGUN_A, "halaman": "2"})
    beyond = client.get("/pasar/", {"desa": SAROLANGUN_A, "halaman": "99"})
    # then 24 and the remaining 7, and the next link keeps the village filter
    assert len(first.context["products"]) == 24
    assert len(second.context["products"]) == 7
    assert f"?desa={SAROLANGUN_A}&amp;halaman=2" in first.content.decode()
    assert beyond.status_code == 200 and beyond.context["products"].number == 2


def test_upstream_pages_work_without_a_village_identity(client, market):
    # given an upstream: no village code or names in its settings
    # when its market is opened
    html = client.get("/pasar/").content.decode()
    # then the shared base template renders without village names (no "Desa" brand, no code)
    assert "<title>Pasar Provinsi" in html
    assert "Kode desa" not in html


def test_catalogue_and_product_pages_stay_within_the_page_budget(client, market, make_image):
    # given a full first page (24 products), half of them with a photo
    photo = make_image(title="Foto")
    for i in range(30):
        synced_in(
            SAROLANGUN_A,
            Product,
            bumdes=market["bumdes"][SAROLANGUN_A],
            category=market["products"]["beras"].category,
            name=f"Keripik singkong pedas manis {i:02d}",
            slug=f"keripik-{i}",
            price=12500 + i,
            stock=Decimal("5"),
            photo_1=photo if i % 2 else None,
        )
    css = Path(finders.find("site/balai.css")).read_bytes()
    # when the catalogue and a product page are loaded
    pages = [
        client.get("/pasar/").content,
        client.get(f"/pasar/produk/{market['products']['beras'].pk}/").content,
    ]
    # then each, compressed with the stylesheet, fits the budget of 14 KB
    for html in pages:
        assert len(gzip.compress(html)) + len(gzip.compress(css)) < 14 * 1024


# --- the product page and the outside buyer's request ---


def test_product_page_shows_village_freshness_and_a_placeholder_without_photos(client, market):
    # given a product whose village synced 3 days ago and whose photo has not arrived
    tikar = market["products"]["tikar"]
    # when its page is opened
    response = client.get(f"/pasar/produk/{tikar.pk}/")
    # then it says how old the stock is, marks it as stale, and shows a placeholder
    html = response.content.decode()
    assert response.status_code == 200
    assert "Stok per sinkronisasi terakhir desa: 3\xa0hari lalu" in html
    assert 'class="small error"' in html
    assert "Foto belum ada atau belum tiba dari desa." in html
    assert 'name="price_seen" value="85000"' in html


def test_product_page_with_a_photo_shows_it(client, market, make_image):
    # given a product with a photo (renditions not made yet)
    beras = market["products"]["beras"]
    with applying():
        beras.photo_1 = make_image(title="Beras")
        beras.rev = 2
        beras.save()
    # when its page and the catalogue are opened
    page = client.get(f"/pasar/produk/{beras.pk}/").content.decode()
    pagecache.clear_local()
    listing = client.get("/pasar/").content.decode()
    # then the image's placeholder keeps its place until the renditions exist
    assert 'class="pic ph"' in page
    assert 'class="thumb ph"' in listing


def test_inactive_or_unknown_products_are_not_found(client, market):
    assert client.get(f"/pasar/produk/{market['hidden'].pk}/").status_code == 404
    assert client.get("/pasar/produk/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/pasar/produk/bukan-uuid/").status_code == 404


def test_request_is_recorded_and_says_nothing_is_confirmed(client, market):
    # given a buyer on the page of a product
    beras = market["products"]["beras"]
    # when they ask for 2,5 kg, with forged price and total fields in the POST
    response = client.post(
        f"/pasar/produk/{beras.pk}/",
        request_post(beras, quantity="2,5", total="1", price="1", unit_price="1"),
    )
    # then a request is recorded, owned by the upstream, priced from the database
    assert response.status_code == 200
    order_request = OrderRequest.objects.get()
    assert order_request.origin == UPSTREAM
    assert order_request.bumdes == beras.bumdes
    assert order_request.total == 37500
    assert order_request.lines[0]["unit_price"] == 15000
    assert order_request.buyer_phone == "+6281311112222"
    # and the buyer sees the code and that nothing is confirmed yet
    html = response.content.decode()
    assert order_request.code in html
    assert f"/pasar/status/?kode={order_request.code}" in html
    assert "Belum dikonfirmasi: BUMDes akan menjawab setelah desa tersinkron." in html
    assert "Rp 37.500" in html
    assert response["Cache-Control"] == "no-store"
    # and no stock was reserved: the village decides
    beras.refresh_from_db()
    assert beras.stock == Decimal("12.5")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"buyer_phone": "12345"}, "Nomor HP tidak valid"),
        ({"buyer_phone": "+1 555 0100"}, "Nomor HP tidak valid"),
        ({"buyer_name": "  "}, "Nama pemesan wajib diisi"),
        ({"quantity": "0"}, "Jumlah harus lebih dari nol"),
        ({"quantity": "-2"}, "Jumlah harus lebih dari nol"),
        ({"quantity": "dua"}, "Jumlah harus berupa angka"),
        ({"quantity": "0,2"}, "Pesanan minimum"),
        ({"fulfilment": "antar", "delivery_address": ""}, "Tulis alamat antar"),
        ({"fulfilment": "terbang"}, "Pilih diambil sendiri atau diantar"),
        ({"price_seen": "1000"}, "Harga Beras merah sekarang Rp 15.000"),
        ({"price_seen": ""}, "Harga Beras merah sekarang Rp 15.000"),
    ],
)
def test_bad_request_input_changes_nothing(client, market, change, message):
    # given a product
    beras = market["products"]["beras"]
    # when the request form is posted with one bad value
    response = client.post(f"/pasar/produk/{beras.pk}/", request_post(beras, **change))
    # then the form comes back with the error and nothing was recorded
    assert response.status_code == 400
    assert message in response.content.decode()
    assert OrderRequest.objects.count() == 0


def test_fractional_quantity_of_a_whole_unit_product_changes_nothing(client, market):
    # given a product sold per whole sheet
    tikar = market["products"]["tikar"]
    # when 1,5 sheets are asked for
    response = client.post(f"/pasar/produk/{tikar.pk}/", request_post(tikar, quantity="1,5"))
    # then it is refused with the reason
    assert response.status_code == 400
    assert "jumlah tidak boleh pecahan" in response.content.decode()
    assert OrderRequest.objects.count() == 0


def test_request_for_an_unknown_or_withdrawn_product_changes_nothing(client, market):
    # when the form is posted to a product that does not exist or is not for sale
    hidden = market["hidden"]
    missing = client.post(
        "/pasar/produk/00000000-0000-0000-0000-000000000000/",
        request_post(market["products"]["beras"]),
    )
    inactive = client.post(f"/pasar/produk/{hidden.pk}/", request_post(hidden))
    # then nothing is found and nothing recorded
    assert missing.status_code == inactive.status_code == 404
    assert OrderRequest.objects.count() == 0


@override_settings(MARKET_ORDER_RATE_LIMIT=3, MARKET_ORDER_RATE_WINDOW=600)
def test_requests_beyond_the_limit_are_refused_by_phone_and_by_address(client, market):
    # given a buyer who made the most requests allowed in the window
    beras = market["products"]["beras"]
    for _ in range(3):
        assert client.post(f"/pasar/produk/{beras.pk}/", request_post(beras)).status_code == 200
    # when they send one more, the phone written another way, from another address
    response = client.post(
        f"/pasar/produk/{beras.pk}/",
        request_post(beras, buyer_phone="+62 813-1111-2222"),
        REMOTE_ADDR="10.9.8.7",
    )
    # then it is refused by the phone, nothing recorded
    assert response.status_code == 400
    assert "Terlalu banyak permintaan dari perangkat atau nomor ini" in response.content.decode()
    assert OrderRequest.objects.count() == 3
    # and another number from the same address is refused by the address
    same_address = client.post(
        f"/pasar/produk/{beras.pk}/", request_post(beras, buyer_phone="081399998888")
    )
    assert same_address.status_code == 400 and OrderRequest.objects.count() == 3
    # while another buyer elsewhere still gets through
    other = client.post(
        f"/pasar/produk/{beras.pk}/",
        request_post(beras, buyer_phone="081399998888"),
        REMOTE_ADDR="10.9.8.6",
    )
    assert other.status_code == 200 and OrderRequest.objects.count() == 4


# --- the status page ---


@pytest.fixture
def placed(market):
    beras = market["products"]["beras"]
    return order_request_place(
        bumdes=beras.bumdes,
        lines=[LineWanted(beras.pk, "2")],
        buyer_name="Budi",
        buyer_phone="081311112222",
        buyer_place="Kota Jambi",
    )


def status(client, code, phone="0813 1111 2222"):
    return client.post("/pasar/status/", {"kode": code, "hp": phone})


def village_answer(order_request, *, status, total=0, lines=(), reason=""):
    """The village's order answering ``order_request``, as it arrives through sync."""
    now = timezone.now()
    order = synced_in(
        order_request.bumdes.origin,
        Order,
        bumdes=order_request.bumdes,
        code="KDE4WX",
        status=status,
        cancel_reason=reason,
        total=total,
        request=order_request,
        placed_at=now,
        status_changed_at=now,
    )
    for product, quantity, subtotal in lines:
        synced_in(
            order.origin,
            OrderLine,
            order=order,
            product=product,
            product_name=product.name,
            unit=product.unit,
            unit_price=product.price,
            quantity=quantity,
            subtotal=subtotal,
        )
    return order


def test_status_waiting_for_the_village_shows_its_last_sync(client, placed):
    # given a request made after the village last synced (3 hours ago)
    # when the buyer looks it up with code and phone
    response = status(client, placed.code.lower())
    # then it is waiting, not confirmed, and says the village has not synced since
    html = response.content.decode()
    assert response.status_code == 200
    assert "Menunggu jawaban desa. Belum ada yang dikonfirmasi." in html
    assert "Desa belum tersinkron sejak permintaan dikirim" in html
    assert "Stok per sinkronisasi terakhir desa: 3\xa0jam lalu" in html
    assert response["Cache-Control"] == "no-store"
    # and once the village has synced, that the request reached it
    Node.objects.filter(code=SAROLANGUN_A).update(last_seen_at=timezone.now())
    assert "Permintaan sudah sampai di desa" in status(client, placed.code).content.decode()


def test_status_needs_the_right_phone(client, placed):
    # when the code is given with another phone, or a code that does not exist
    wrong_phone = status(client, placed.code, phone="081399998888")
    bad_phone = status(client, placed.code, phone="bukan nomor")
    wrong_code = status(client, "XXXXXX")
    # then nothing is shown of the request, the same way each time
    for response in (wrong_phone, bad_phone, wrong_code):
        assert response.status_code == 404
        html = response.content.decode()
        assert "Permintaan tidak ditemukan" in html and "Budi" not in html
        assert "Beras merah" not in html


def test_status_accepted_shows_the_order_status_and_the_confirmed_total(client, placed, market):
    # given the village accepted the request for 1,5 kg only (its answer synced up)
    beras = market["products"]["beras"]
    order = village_answer(
        placed, status=OrderStatus.CONFIRMED, total=22500, lines=[(beras, Decimal("1.5"), 22500)]
    )
    # when the buyer looks it up
    html = status(client, placed.code).content.decode()
    # then it shows the village's answer: confirmed, with the total the village confirmed
    assert "Diterima oleh BUMDes" in html and "Dikonfirmasi" in html
    assert "Total dikonfirmasi desa: <strong>Rp 22.500</strong>" in html
    assert "1,5 kg" in html
    assert "Menunggu jawaban desa" not in html
    # and later statuses as they sync up
    with applying():
        order.status, order.rev = OrderStatus.READY, 2
        order.save()
    assert "Siap diambil" in status(client, placed.code).content.decode()


def test_status_declined_shows_the_reason(client, placed):
    # given the village declined the request with a reason
    village_answer(placed, status=OrderStatus.CANCELLED, reason="Stok sudah habis dipesan warga")
    # when the buyer looks it up
    html = status(client, placed.code).content.decode()
    # then they see it was declined, and why
    assert "Ditolak oleh BUMDes." in html
    assert "Stok sudah habis dipesan warga" in html
    assert "Total dikonfirmasi" not in html


def test_status_form_on_get_takes_only_the_code(client, upstream):
    # when the status page is opened from the confirmation's link, or with junk in the code
    response = client.get("/pasar/status/", {"kode": "kde4wx"})
    junk = client.get("/pasar/status/", {"kode": '"><b>x'})
    # then the form is there with the code filled in (letters and digits only)
    assert response.status_code == 200
    assert 'name="kode" value="KDE4WX"' in response.content.decode()
    assert 'name="kode" value="BX"' in junk.content.decode()


# --- the categories seed command ---


def test_categories_seed_creates_the_standard_categories_once(upstream):
    # when the command runs on the upstream, twice, with an operator's edit in between
    call_command("market_categories_seed", stdout=io.StringIO())
    ProductCategory.objects.filter(slug="jasa").update(name="Jasa desa")
    call_command("market_categories_seed", stdout=io.StringIO())
    # then the six standard categories exist once each, owned by the upstream, in both languages
    categories = list(ProductCategory.objects.order_by("sort_order"))
    assert [c.slug for c in categories] == [
        "hasil-pertanian",
        "perikanan",
        "peternakan",
        "kerajinan",
        "makanan-olahan",
        "jasa",
    ]
    assert {c.origin for c in categories} == {UPSTREAM}
    assert all(c.name_en for c in categories)
    # and the operator's edit was kept
    assert ProductCategory.objects.get(slug="jasa").name == "Jasa desa"


def test_categories_seed_refuses_to_run_on_a_village_hub(village):
    # given a village hub (the test settings' role)
    # when the command runs there
    with pytest.raises(CommandError, match="bukan di hub desa"):
        call_command("market_categories_seed")
    # then no category was made
    assert ProductCategory.objects.count() == 0


def test_categories_seed_needs_the_upstream_code(db):
    with (
        override_settings(HUB_ROLE="upstream", SYNC_NODE_CODE=""),
        pytest.raises(CommandError, match="HUB_NODE_CODE"),
    ):
        call_command("market_categories_seed")
    assert ProductCategory.objects.count() == 0
