"""50 villagers order the last 10 units at once, on a real village hub: scripts/run, gunicorn with
several workers (threaded), SQLite. Exactly 10 orders get through; the other 40 are told how much
stock is left; stock ends at zero and nothing is sold twice.

The product is seeded with ``scripts/manage shell`` in the hub's own data dir. Every buyer is a
thread with its own cookie jar: it loads the order form (its own CSRF cookie and token), then all
50 POST together. All of them come from 127.0.0.1, so the per-client rate limit is raised for
this hub (the rate limit has its own tests).
"""

import http.client
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest

from tests.harness.hubs import manage_shell, start_hub
from tests.harness.processes import HOST

BUYERS = 50
STOCK = 10
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STOCK_LEFT = re.compile(r"Stok [^<]* tinggal 0")

SEED = """
import json
from decimal import Decimal
from marketplace.models import Bumdes, Product
bumdes = Bumdes.objects.get(slug="berantai-sejahtera")
product = Product(bumdes=bumdes, name="Gula aren cetak", slug="gula-aren-cetak", price=20000,
                  unit="buah", stock=Decimal("10"), min_order=Decimal("1"))
product.full_clean()
product.save()
print(json.dumps({"pk": str(product.pk)}))
"""

STATE = """
import json
from marketplace.models import Order, OrderLine, Product
product = Product.objects.get(slug="gula-aren-cetak")
print(json.dumps({
    "stock": str(product.stock),
    "orders": Order.objects.filter(lines__product=product).distinct().count(),
    "lines": OrderLine.objects.filter(product=product).count(),
    "quantity": str(sum(line.quantity for line in OrderLine.objects.filter(product=product))),
    "all_orders": Order.objects.count(),
}))
"""


@dataclass
class Answer:
    status: int = 0
    location: str = ""
    body: str = ""
    error: str = ""


class Buyer(threading.Thread):
    """One phone: loads the order form, waits for the others, then posts one order."""

    def __init__(self, number: int, port: int, path: str, start_line: threading.Barrier):
        super().__init__(name=f"buyer-{number}")
        self.number, self.port, self.path, self.start_line = number, port, path, start_line
        self.answer = Answer()

    def run(self):
        try:
            connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
            connection.request("GET", self.path)
            form = connection.getresponse()
            html = form.read().decode()
            cookie = form.getheader("Set-Cookie", "")
            token = CSRF_INPUT.search(html)
            connection.close()
            if form.status != 200 or token is None or "csrftoken=" not in cookie:
                self.start_line.abort()
                raise RuntimeError(f"order form: {form.status}, no CSRF token/cookie")
            csrf_cookie = cookie.split("csrftoken=", 1)[1].split(";", 1)[0]
            body = urlencode(
                {
                    "csrfmiddlewaretoken": token.group(1),
                    "buyer_name": f"Pembeli {self.number}",
                    "buyer_phone": f"0812{self.number:08d}",
                    "quantity": "1",
                    "fulfilment": "ambil",
                    "delivery_address": "",
                    "note": "",
                }
            )
            connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
            self.start_line.wait(timeout=120)
            connection.request(
                "POST",
                self.path,
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={csrf_cookie}",
                },
            )
            response = connection.getresponse()
            self.answer = Answer(
                status=response.status,
                location=response.getheader("Location", ""),
                body=response.read().decode(errors="replace"),
            )
            connection.close()
        except Exception as exc:  # reported by the test, with the buyer's number
            self.answer.error = f"{type(exc).__name__}: {exc}"


@pytest.fixture
def busy_hub(tmp_path):
    """scripts/run (the demo village, from the migrated template) with 3 gunicorn workers of
    4 threads each and the rate limit raised."""
    hub = start_hub(
        tmp_path / "data",
        tmp_path / "scripts-run.log",
        extra_env={
            "HUB_WEB_WORKERS": "3",
            "HUB_WEB_THREADS": "4",
            "HUB_MARKET_ORDER_RATE_LIMIT": "1000",
        },
        template="demo",
        # 3 workers booting while the 2 cores are shared with other suites (seen at load
        # average 9); a start that hangs still fails, later
        timeout=300,
    )
    yield hub
    hub.stop()


def test_fifty_concurrent_orders_for_the_last_ten_units(busy_hub):
    # given a real hub (3 workers x 4 threads) and a product with exactly 10 units in stock
    deadline = time.monotonic() + 60
    while busy_hub.output().count("Booting worker") < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert busy_hub.output().count("Booting worker") >= 3, busy_hub.output()[-3000:]
    product = manage_shell(busy_hub.data_dir, SEED)
    path = f"/pasar/pesan/{product['pk']}/"
    form_status = http_status_of(busy_hub.port, path)
    assert form_status == 200, (
        f"GET {path} answered {form_status}: the villager order form (market:order) is needed"
    )
    # and 50 buyers, each with the order form open (its own CSRF cookie and token)
    start_line = threading.Barrier(BUYERS)
    buyers = [Buyer(n, busy_hub.port, path, start_line) for n in range(BUYERS)]

    # when all 50 post an order for 1 unit at the same moment
    for buyer in buyers:
        buyer.start()
    for buyer in buyers:
        buyer.join(timeout=180)

    # then every buyer got an answer, and no answer is a server error
    answers = {buyer.number: buyer.answer for buyer in buyers}
    broken = {n: a.error for n, a in answers.items() if a.error}
    assert broken == {}, broken
    statuses = sorted(a.status for a in answers.values())
    assert all(status < 500 for status in statuses), statuses
    # and exactly 10 were placed (a redirect to their confirmation) ...
    placed = [a for a in answers.values() if a.status == 302]
    assert len(placed) == STOCK, statuses
    assert all("/pasar/pesanan/" in a.location for a in placed)
    # ... and the 40 others were refused with the clear "stock left" message
    refused = [a for a in answers.values() if a.status != 302]
    assert len(refused) == BUYERS - STOCK
    assert all(a.status == 400 and STOCK_LEFT.search(a.body) for a in refused), [
        (a.status, re.sub(r"\s+", " ", a.body)[:300]) for a in refused if a.status != 400
    ]
    # and in the database: stock exactly 0, exactly 10 orders with one line of 1 unit each
    state = manage_shell(busy_hub.data_dir, STATE)
    assert state["stock"] in ("0", "0.000"), state
    assert state["orders"] == STOCK and state["lines"] == STOCK, state
    assert state["quantity"] in ("10", "10.000"), state
    # (the demo shop's two orders and these ten, nothing else)
    assert state["all_orders"] == 2 + STOCK, state
    # and the hub's log shows neither a locked database nor a traceback
    log = busy_hub.output()
    assert "database is locked" not in log
    assert "Traceback" not in log, log[-3000:]


def http_status_of(port: int, path: str) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()
