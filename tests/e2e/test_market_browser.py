"""A sale in a real browser, on a real village hub (scripts/run: gunicorn, the cluster, SQLite):
a villager orders on a phone, the BUMDes's staff confirm the order in the admin, and the
villager's status page then says "Dikonfirmasi".

The product and the staff account are seeded with ``scripts/manage shell`` in the hub's own data
directory. Debian's Chromium, driven by Playwright, as in ``test_browser.py``.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.harness.hubs import manage_shell

from .test_browser import Visitor

pytestmark = pytest.mark.e2e

STAFF_USER = "kasir-berantai"
STAFF_PASSWORD = "kasir-rahasia-e2e-2026"
BUYER_PHONE = "0812 7777 3030"

SEED = f"""
import json
from decimal import Decimal
from django.contrib.auth.models import Group, User
from marketplace.models import Bumdes, BumdesStaff, Product
bumdes = Bumdes.objects.get(slug="berantai-sejahtera")
product = Product(bumdes=bumdes, name="Keripik pisang uji", slug="keripik-pisang-uji",
                  price=12000, unit="bungkus", stock=Decimal("20"), min_order=Decimal("1"))
product.full_clean()
product.save()
user = User.objects.create_user({STAFF_USER!r}, password={STAFF_PASSWORD!r})
user.groups.add(Group.objects.get(name="Pengelola BUMDes"))
BumdesStaff.objects.create(user=user, bumdes=bumdes)
print(json.dumps({{"path": f"/pasar/{{bumdes.slug}}/{{product.slug}}/", "pk": str(product.pk)}}))
"""


def _order_state(data_dir, code: str) -> dict:
    return manage_shell(
        data_dir,
        "import json\n"
        "from marketplace.models import Order\n"
        f"order = Order.objects.get(code={code!r})\n"
        "stock = str(order.lines.get().product.stock)\n"
        "print(json.dumps({'status': order.status, 'stock': stock}))",
    )


@pytest.fixture(scope="module")
def seeded(module_hub):
    return manage_shell(module_hub.data_dir, SEED)


def test_villager_orders_staff_confirm_and_villager_sees_the_new_status(
    browser,
    module_hub,
    seeded,
):
    # given a villager's phone, with JavaScript off (the shop needs none)
    villager = Visitor(browser, module_hub, java_script_enabled=False)
    page = villager.page
    try:
        # when they open the product and order 3 packs for pick-up
        villager.goto(seeded["path"])
        expect(page.locator("h1")).to_contain_text("Keripik pisang uji")
        page.locator(f"a.btn[href='/pasar/pesan/{seeded['pk']}/']").click()
        page.locator("#id_buyer_name").fill("Ibu Rahmah")
        page.locator("#id_buyer_phone").fill(BUYER_PHONE)
        page.locator("#id_quantity").fill("3")
        page.locator("input[name=fulfilment][value=ambil]").check()
        page.locator("form.form button[type=submit]").click()

        # then the confirmation gives an order code, and the stock is reserved
        expect(page.locator("h1")).to_have_text("Pesanan terkirim")
        code = page.locator("p.ocode").inner_text().strip()
        assert len(code) == 6, code
        assert _order_state(module_hub.data_dir, code) == {"status": "baru", "stock": "17.000"}

        # when the BUMDes's staff log in to the admin on the office computer
        staff = browser.new_context(viewport={"width": 1280, "height": 900})
        staff.set_default_timeout(15_000)
        admin = staff.new_page()
        try:
            admin.goto(module_hub.url("/admin/login/"))
            admin.locator("input[name=username]").fill(STAFF_USER)
            admin.locator("input[name=password]").fill(STAFF_PASSWORD)
            admin.locator("form button[type=submit]").click()
            # the dashboard counts the new orders of their BUMDes
            expect(admin.locator("main")).to_contain_text(re.compile(r"[1-9]\d* pesanan baru"))

            # and open the order from the order list, found by its code
            admin.goto(module_hub.url(f"/admin/pasar/pesanan/?q={code}"))
            admin.locator(f"a:text-is('{code}')").first.click()
            expect(admin.locator("main")).to_contain_text("Ibu Rahmah")
            expect(admin.locator("main")).to_contain_text("Rp 36.000")

            # and press the button that confirms it
            admin.locator("button:has-text('Jadikan: Dikonfirmasi')").click()

            # then the admin says so
            expect(admin.locator(".messages")).to_contain_text(
                f"Pesanan {code} sekarang: Dikonfirmasi."
            )
        finally:
            staff.close()

        # when the villager looks up the order with its code and phone
        villager.goto("/pasar/status/")
        page.locator("#id_code").fill(code.lower())
        page.locator("#id_phone").fill(BUYER_PHONE)
        page.locator("form.form button[type=submit]").click()

        # then they see the new status
        expect(page.locator("p.ocode")).to_have_text(code)
        expect(page.locator(".tag.big")).to_have_text("Dikonfirmasi")
        assert _order_state(module_hub.data_dir, code)["status"] == "dikonfirmasi"
        assert villager.foreign_requests() == []
    finally:
        villager.context.close()


def test_staff_admin_shows_only_their_bumdes_orders(browser, module_hub, seeded):
    # given: an order of another BUMDes of the village, made in the hub's own environment
    other = manage_shell(
        module_hub.data_dir,
        "import json\n"
        "from decimal import Decimal\n"
        "from marketplace.models import Bumdes, Product\n"
        "from marketplace.services import LineWanted, order_place\n"
        "bumdes = Bumdes(name='BUMDes Lain Uji', slug='lain-uji')\n"
        "bumdes.full_clean()\n"
        "bumdes.save()\n"
        "product = Product(bumdes=bumdes, name='Madu lain', slug='madu-lain', price=50000,\n"
        "                  unit='botol', stock=Decimal('5'), min_order=Decimal('1'))\n"
        "product.save()\n"
        "order = order_place(bumdes=bumdes, lines=[LineWanted(product.pk, '1')],\n"
        "                    buyer_name='Pembeli Lain', buyer_phone='081355556666')\n"
        "print(json.dumps({'pk': str(order.pk), 'code': order.code}))",
    )
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    staff.set_default_timeout(15_000)
    admin = staff.new_page()
    try:
        # when the staff of Berantai Sejahtera log in and list orders
        admin.goto(module_hub.url("/admin/login/"))
        admin.locator("input[name=username]").fill(STAFF_USER)
        admin.locator("input[name=password]").fill(STAFF_PASSWORD)
        admin.locator("form button[type=submit]").click()
        admin.goto(module_hub.url("/admin/pasar/pesanan/"))

        # then the other BUMDes's order is not listed, and its page is not found
        expect(admin.locator("main")).not_to_contain_text("Pembeli Lain")
        response = admin.goto(module_hub.url(f"/admin/pasar/pesanan/inspect/{other['pk']}/"))
        assert response is not None and response.status == 404
    finally:
        staff.close()
