"""The marketplace through real sync: an upstream (gunicorn + cluster on PostgreSQL) and two
village hubs (scripts/run on SQLite), over loopback.

Categories go down; a BUMDes, a product with its photo and an order go up (the order without
the buyer's personal data); an outside buyer's request made on the upstream's market page goes
down to the seller's village only; the village's answer comes back up and the buyer sees it.
"""

import http.cookiejar
import itertools
import re
import time
import urllib.parse
import urllib.request

import pytest

from tests.harness.hubs import UPSTREAM_CODE, VILLAGE_CODES, UpstreamNode

pytestmark = pytest.mark.e2e

SELLER = VILLAGE_CODES[0]  # 1503012021, Kabupaten Sarolangun
OTHER = VILLAGE_CODES[2]  # 1504012002, Kabupaten Batanghari


def run(agent, code: str):
    """Run ORM code in a node's agent; ``result`` is what comes back."""
    return agent("exec", code=code)["result"]


def synced(agent):
    result = agent("sync")
    assert result["ok"], result
    run_ = result["runs"][-1]
    assert run_["refused"] == 0, run_
    return run_


class Browser:
    """A buyer's browser without JavaScript: cookies, forms with their CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
        )

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def get(self, path: str, **params):
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        return self._open(urllib.request.Request(self.base + path + query))

    def post_form(self, path: str, fields: dict):
        """GET the page, then POST its form with ``fields`` and the page's CSRF token."""
        status, html = self.get(path)
        assert status == 200, (status, html[:500])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, method="POST"))


def found_by_search(web: Browser, query: str, name: str, timeout: float = 60) -> bool:
    """Search the upstream's market until ``name`` shows. Each try is another URL: a result
    page rendered before the cluster indexed the batch stays in the page cache (up to
    HUB_PAGE_CACHE_SECONDS), since indexing does not move the cache's generation."""
    deadline = time.monotonic() + timeout
    for attempt in itertools.count():
        status, html = web.get("/pasar/", q=query, coba=attempt)
        assert status == 200, html[:2000]
        if name in html:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(1)
    return False


SHOP_CODE = """
import io
from decimal import Decimal
from PIL import Image
from hub.media.services import image_from_bytes
from marketplace.models import Bumdes, Product, ProductCategory

buffer = io.BytesIO()
Image.new("RGB", (320, 240), (160, 40, 30)).save(buffer, "PNG")
photo = image_from_bytes(data=buffer.getvalue(), title="Beras merah", name="beras.png")
bumdes = Bumdes(name="BUMDes Maju Bersama", slug="maju-bersama", whatsapp="0812 3456 7890")
bumdes.full_clean()
bumdes.save()
product = Product(
    bumdes=bumdes,
    category=ProductCategory.objects.get(slug="hasil-pertanian"),
    name="Beras merah",
    slug="beras-merah",
    price=15000,
    unit="kg",
    fractional=True,
    stock=Decimal("10"),
    min_order=Decimal("0.5"),
    photo_1=photo,
)
product.full_clean()
product.save()
# and one without a photo: nothing saves it again on the upstream after the batch is applied
Product(bumdes=bumdes, name="Gula aren cetak", slug="gula-aren", price=28000, stock=5).save()
photo.refresh_from_db()
result = {"bumdes": str(bumdes.pk), "product": str(product.pk), "sha256": photo.sha256}
"""


ORDER_CODE = """
from marketplace.models import Bumdes
from marketplace.services import LineWanted, order_place

order = order_place(
    bumdes=Bumdes.objects.get(pk=%(bumdes)r),
    lines=[LineWanted(%(product)r, "1,5")],
    buyer_name="Siti Aminah",
    buyer_phone="081234567890",
    fulfilment="antar",
    delivery_address="RT 02 dekat masjid",
    note="sore saja",
)
result = str(order.pk)
"""


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    """The conftest's upstream, with the static files collected (the market pages need them;
    Ansible runs collectstatic on a real upstream): the village template's, collected by the
    same code, copied before it starts."""
    node = UpstreamNode(tmp_path_factory.mktemp("sync"), static=True)
    yield node
    node.close()


@pytest.fixture(scope="module")
def market(upstream, villages):
    """Categories seeded on the upstream, a seller village with a shop, another village."""
    seller, other = villages(SELLER), villages(OTHER)
    s, o, u = seller.agent(), other.agent(), upstream.agent()
    # ``manage.py market_categories_seed`` on the upstream, by its agent (a Django process
    # already started), before either village syncs
    run(
        u,
        "import io\n"
        "from django.core.management import call_command\n"
        "call_command('market_categories_seed', stdout=io.StringIO())",
    )
    synced(s)
    synced(o)
    shop = run(s, SHOP_CODE)
    # a villager orders before the shop ever went up: the batch, coalesced to the latest version
    # of each record, then holds the order line before the product's new stock
    shop["order"] = run(s, ORDER_CODE % shop)
    synced(s)
    return {"s": s, "o": o, "u": u, "shop": shop, "web": Browser(upstream.url)}


def test_categories_down_shop_and_order_up_without_the_buyer(market):
    s, o, u, shop = market["s"], market["o"], market["u"], market["shop"]
    # given the categories seeded on the upstream, a shop and an order made on the village
    # then the categories reached both villages, unchanged
    theirs = u("dump", origin=UPSTREAM_CODE)["marketplace.productcategory"]
    assert len(theirs) == 6
    assert s("dump", origin=UPSTREAM_CODE)["marketplace.productcategory"] == theirs
    assert o("dump", origin=UPSTREAM_CODE)["marketplace.productcategory"] == theirs
    # and the shop reached the upstream: the same BUMDes and product, the photo blob attached
    mine = s("dump", origin=SELLER)
    up = u("dump", origin=SELLER)
    assert up["marketplace.bumdes"] == mine["marketplace.bumdes"]
    assert up["marketplace.product"] == mine["marketplace.product"]
    assert len(up["marketplace.product"]) == 2
    attached = run(
        u,
        "from marketplace.models import Product\n"
        f"p = Product.objects.select_related('photo_1').get(pk={shop['product']!r})\n"
        "result = p.photo_1.sha256 if p.photo_1 else None",
    )
    assert attached == shop["sha256"]

    # and the villager's order and its line are there, without the buyer's personal data
    order = shop["order"]
    copy = run(
        u,
        "from marketplace.models import Order, Product\n"
        f"o = Order.objects.get(pk={order!r})\n"
        "result = dict(name=o.buyer_name, phone=o.buyer_phone, address=o.delivery_address,\n"
        "    note=o.note, client=o.client_key, total=o.total, status=o.status,\n"
        "    fulfilment=o.fulfilment, lines=[(l.product_name, str(l.quantity), l.subtotal)\n"
        "    for l in o.lines.all()],\n"
        f"    stock=str(Product.objects.get(pk={shop['product']!r}).stock))",
    )
    assert copy["name"] == copy["phone"] == copy["address"] == copy["note"] == ""
    assert copy["client"] == ""
    assert (copy["total"], copy["status"], copy["fulfilment"]) == (22500, "baru", "antar")
    assert copy["lines"] == [["Beras merah", "1.500", 22500]]
    assert copy["stock"] == "8.500"
    # and the village still has them
    here = f"from marketplace.models import Order\nresult = Order.objects.get(pk={order!r})"
    assert run(s, here + ".buyer_name") == "Siti Aminah"

    # and the upstream's province market shows the product, its village and its last sync
    status, html = market["web"].get("/pasar/", kabupaten=SELLER[:4])
    assert status == 200
    assert "Beras merah" in html and "BUMDes Maju Bersama" in html
    assert "Desa Bukit Berantai, Kabupaten Sarolangun" in html
    assert "Stok per sinkronisasi terakhir desa:" in html
    # and PostgreSQL's search finds both products, the one with no photo too (the upstream's
    # cluster indexes what a batch brought, once the batch has committed)
    assert found_by_search(market["web"], "beras", "Beras merah")
    assert found_by_search(market["web"], "gula aren", "Gula aren cetak")


def test_outside_request_reaches_only_its_village_and_the_answer_comes_back(market):
    s, o, u, shop, web = market["s"], market["o"], market["u"], market["shop"], market["web"]
    product_page = f"/pasar/produk/{shop['product']}/"
    buyer = {
        "price_seen": "15000",
        "buyer_name": "Budi Santoso",
        "buyer_phone": "0813 1111 2222",
        "buyer_place": "Kota Jambi",
        "fulfilment": "ambil",
        "delivery_address": "",
        "note": "untuk warung",
    }
    # given two outside buyers' requests made on the upstream's market page
    status, html = web.post_form(product_page, {**buyer, "quantity": "2"})
    assert status == 200, html[:2000]
    assert "Belum dikonfirmasi: BUMDes akan menjawab setelah desa tersinkron." in html
    accepted_code = re.search(r'<strong class="code">(\w+)</strong>', html).group(1)
    status, html = web.post_form(
        product_page, {**buyer, "buyer_phone": "081399998888", "quantity": "3"}
    )
    assert status == 200, html[:2000]
    declined_code = re.search(r'<strong class="code">(\w+)</strong>', html).group(1)
    # and the buyer's status page says it waits for the village
    status, html = web.post_form("/pasar/status/", {"kode": accepted_code, "hp": "081311112222"})
    assert status == 200 and "Menunggu jawaban desa" in html

    # when both villages sync
    synced(o)
    synced(s)
    # then only the seller's village has the requests, with what it needs to answer them
    requests_there = (
        "from marketplace.models import OrderRequest\n"
        "result = sorted((r.code, r.buyer_name, r.buyer_phone, r.total)\n"
        "    for r in OrderRequest.objects.all())"
    )
    assert run(o, requests_there) == []
    assert run(s, requests_there) == sorted(
        [
            [accepted_code, "Budi Santoso", "+6281311112222", 30000],
            [declined_code, "Budi Santoso", "+6281399998888", 45000],
        ]
    )

    # when the village accepts one (stock reserved) and declines the other with a reason
    answered = run(
        s,
        "from marketplace.models import OrderRequest as R, Product\n"
        "from marketplace.services import order_request_accept, order_request_decline\n"
        f"a = order_request_accept(order_request=R.objects.get(code={accepted_code!r}))\n"
        f"d = order_request_decline(order_request=R.objects.get(code={declined_code!r}),\n"
        "    reason='Stok tinggal sedikit, sudah dipesan warga')\n"
        f"result = dict(accepted=[a.status, a.total], declined=[d.status, d.cancel_reason],\n"
        f"    stock=str(Product.objects.get(pk={shop['product']!r}).stock))",
    )
    assert answered["accepted"] == ["dikonfirmasi", 30000]
    assert answered["declined"][0] == "dibatalkan"
    assert answered["stock"] == "6.500"
    # and syncs
    synced(s)

    # then the upstream shows the first request answered, with the order's status and total
    status, html = web.post_form("/pasar/status/", {"kode": accepted_code, "hp": "081311112222"})
    assert status == 200
    assert "Diterima oleh BUMDes" in html and "Dikonfirmasi" in html
    assert "Total dikonfirmasi desa: <strong>Rp 30.000</strong>" in html
    # and the second declined, with the village's reason
    status, html = web.post_form("/pasar/status/", {"kode": declined_code, "hp": "081399998888"})
    assert status == 200
    assert "Ditolak oleh BUMDes." in html
    assert "Stok tinggal sedikit, sudah dipesan warga" in html
    # and the other village never saw either request nor the answers
    assert run(o, requests_there) == []
    assert run(o, "from marketplace.models import Order\nresult = Order.objects.count()") == 0

    # when the village moves the accepted order on and syncs again
    run(
        s,
        "from marketplace.models import Order\n"
        "from marketplace.services import order_status_set\n"
        f"o = Order.objects.get(request__code={accepted_code!r})\n"
        "result = order_status_set(order=o, status='siap').status",
    )
    synced(s)
    # then the buyer sees the new status
    status, html = web.post_form("/pasar/status/", {"kode": accepted_code, "hp": "081311112222"})
    assert "Siap diambil" in html, html[:3000]
    # and the upstream's copies of the village's answers carry no buyer data
    copies = run(
        u,
        "from marketplace.models import Order\n"
        f"result = sorted((o.buyer_name, o.buyer_phone) for o in Order.objects.filter(\n"
        f"    request__code__in={[accepted_code, declined_code]!r}))",
    )
    assert copies == [["", ""], ["", ""]]
