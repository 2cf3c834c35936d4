"""Buyers' personal data (UU 27/2022): erased after the retention period, erased at a buyer's
request (admin page and command), and every view of it logged."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from hub.sync.core.journal import applying
from hub.sync.models import JournalEntry
from marketplace.models import BuyerDataLog, Order, OrderRequest, OrderStatus
from marketplace.selectors import order_for_buyer
from marketplace.services import (
    ERASED_NAME,
    ERASED_PHONE,
    OrderError,
    buyer_data_erase,
    market_retention_apply,
    order_status_set,
)

PHONE = "081234567890"


def closed(order, *, status=OrderStatus.DONE, days_ago=0):
    """``order`` moved to done (or cancelled) ``days_ago`` days ago."""
    if status == OrderStatus.DONE:
        for step in (OrderStatus.CONFIRMED, OrderStatus.READY, OrderStatus.DONE):
            order = order_status_set(order=order, status=step)
    else:
        order = order_status_set(order=order, status=status, reason="stok habis")
    Order.objects.filter(pk=order.pk).update(
        status_changed_at=timezone.now() - timedelta(days=days_ago)
    )
    return Order.objects.get(pk=order.pk)


def journal_revs(order) -> list[int]:
    return list(JournalEntry.objects.filter(uid=order.pk).values_list("rev", flat=True))


@pytest.fixture
def orders(product, place_order):
    """Four orders of one buyer: done 400 days ago, cancelled 400 days ago, done 10 days ago,
    and one still new (placed 400 days ago)."""
    old_done = closed(
        place_order(product, delivery_address="RT 02 dekat masjid", note="pagi"), days_ago=400
    )
    old_cancelled = closed(place_order(product), status=OrderStatus.CANCELLED, days_ago=400)
    recent = closed(place_order(product), days_ago=10)
    still_new = place_order(product)
    Order.objects.filter(pk=still_new.pk).update(placed_at=timezone.now() - timedelta(days=400))
    return {
        "old_done": old_done,
        "old_cancelled": old_cancelled,
        "recent": recent,
        "new": still_new,
    }


def test_retention_erases_buyer_data_of_orders_closed_longer_ago_than_the_period(orders):
    # given orders closed 400 and 10 days ago and one open, with a 365-day period (default)
    revs_before = journal_revs(orders["old_done"])
    # when the retention runs
    done = market_retention_apply()
    # then the two closed 400 days ago lose name, phone, address and note; the rest keep them
    assert done == {"orders": 2, "requests": 0}
    for key in ("old_done", "old_cancelled"):
        order = Order.objects.get(pk=orders[key].pk)
        assert (order.buyer_name, order.buyer_phone, order.delivery_address, order.note) == (
            "",
            "",
            "",
            "",
        )
        assert order.anonymised_at is not None
        # the sale itself stays for the BUMDes's reports
        assert order.total > 0 and order.lines.count() == 1
    for key in ("recent", "new"):
        assert Order.objects.get(pk=orders[key].pk).buyer_phone == "+6281234567890"
    # it is a normal change by the owner: a new rev in the journal (it syncs)
    assert journal_revs(orders["old_done"])[-1] > max(revs_before)
    # the buyer's status lookup finds it no more
    assert order_for_buyer(code=orders["old_done"].code, phone=PHONE) is None
    # a log row says what was done, without any personal data
    entry = BuyerDataLog.objects.get(action=BuyerDataLog.Action.RETENTION)
    assert "2 pesanan" in entry.detail and "Siti" not in entry.detail
    # and a second run changes nothing
    assert market_retention_apply() == {"orders": 0, "requests": 0}


def test_the_period_is_a_setting(orders, settings):
    # given a period of 7 days
    settings.MARKET_RETENTION_DAYS = 7
    # when / then the order closed 10 days ago goes too
    assert market_retention_apply()["orders"] == 3


def test_the_retention_runs_daily(db):
    from django_q.models import Schedule

    from marketplace.tasks import RETENTION_SCHEDULE, market_retention_task

    # given a migrated hub / when its schedules are read
    schedule = Schedule.objects.get(name=RETENTION_SCHEDULE)
    # then the task runs daily, and runs (nothing to do on an empty hub)
    assert schedule.func == "marketplace.tasks.market_retention_task"
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1
    assert market_retention_task() == {"orders": 0, "requests": 0}


def test_erasure_by_phone_refuses_while_an_order_is_open_and_changes_nothing(orders):
    # given one of the buyer's orders still new
    # when the buyer's data is asked to be erased by phone
    with pytest.raises(OrderError) as refused:
        buyer_data_erase(phone="0812-3456-7890", reason="surat 12/2026")
    # then it is refused naming the open order, and nothing is erased or logged
    assert orders["new"].code in " ".join(refused.value.messages)
    assert Order.objects.filter(buyer_phone="+6281234567890").count() == 4
    assert not BuyerDataLog.objects.exists()


def test_erasure_by_phone_erases_every_closed_order_and_logs_each(orders, admin_user):
    # given the open order cancelled first
    closed(orders["new"], status=OrderStatus.CANCELLED)
    # when the buyer's data is erased by phone, whatever the orders' age
    done = buyer_data_erase(phone="+62 812 3456 7890", reason="surat 12/2026", user=admin_user)
    # then all four are erased, each logged with the user and reason, the phone only masked
    assert sorted(done.orders) == sorted(o.code for o in orders.values())
    assert not Order.objects.exclude(buyer_phone="").exists()
    entries = BuyerDataLog.objects.filter(action=BuyerDataLog.Action.ERASE)
    assert entries.count() == 4 and {e.user for e in entries} == {admin_user}
    detail = entries.first().detail
    assert "surat 12/2026" in detail and "+62812****7890" in detail
    assert "81234567890" not in detail


def test_erasure_by_code_erases_that_order_only(orders):
    # when one order is erased by its code
    done = buyer_data_erase(code=orders["recent"].code.lower())
    # then that one only
    assert done.orders == [orders["recent"].code]
    assert Order.objects.exclude(buyer_phone="").count() == 3


@pytest.mark.parametrize(
    ("phone", "code", "message"),
    [
        ("", "", "Isi nomor HP atau kode"),
        ("12345", "", "Nomor HP tidak valid"),
        ("0899 9999 9999", "", "Tidak ada pesanan"),
        ("", "NOSUCH", "Tidak ada pesanan"),
    ],
)
def test_bad_erasure_requests_are_refused_with_a_reason(orders, phone, code, message):
    # given / when nothing, a malformed phone, or an unknown phone or code is given
    with pytest.raises(OrderError) as refused:
        buyer_data_erase(phone=phone, code=code)
    # then a clear message and nothing changed
    assert message in " ".join(refused.value.messages)
    assert Order.objects.filter(buyer_phone="+6281234567890").count() == 4


def test_on_a_village_an_outside_request_is_left_to_the_upstream(orders, bumdes):
    # given an outside buyer's request that came down from the upstream, with the same phone
    with applying():
        request = OrderRequest(
            origin="15",
            rev=1,
            bumdes=bumdes,
            code="RQ1234",
            buyer_name="Budi",
            buyer_phone="+6281234567890",
            lines=[{"product": "x", "quantity": "1"}],
        )
        request.save()
    closed(orders["new"], status=OrderStatus.CANCELLED)
    # when the buyer's data is erased by phone on the village
    done = buyer_data_erase(phone=PHONE)
    # then the village's orders are erased, the upstream's request named and left as it was
    assert len(done.orders) == 4 and done.requests == []
    assert done.elsewhere == {"RQ1234": "15"}
    assert OrderRequest.objects.get(pk=request.pk).buyer_name == "Budi"


def test_the_command_erases_and_refuses_as_the_service_does(orders):
    # given an open order: the command fails with the service's message, nothing changed
    with pytest.raises(CommandError, match=orders["new"].code):
        call_command("buyer_data_erase", "--phone", PHONE, stdout=io.StringIO())
    assert not Order.objects.filter(anonymised_at__isnull=False).exists()
    # when it is given a closed order's code
    out = io.StringIO()
    call_command("buyer_data_erase", "--code", orders["old_done"].code, stdout=out)
    # then that order is erased and said so
    assert f"erased: {orders['old_done'].code}" in out.getvalue()
    assert Order.objects.get(pk=orders["old_done"].pk).buyer_name == ""


# --- the upstream: outside requests ---


@pytest.fixture
def upstream_request(db, bumdes):
    """On the upstream: a request answered by a village order done 400 days ago."""
    with override_settings(HUB_ROLE="upstream", SYNC_NODE_CODE="15"):
        request = OrderRequest(
            origin="15",
            bumdes=bumdes,
            code="RQ5678",
            buyer_name="Budi",
            buyer_phone="+6281311112222",
            buyer_place="Kota Jambi",
            delivery_address="Jl. Sudirman 1",
            lines=[{"product": "x", "quantity": "1"}],
        )
        request.save()
        OrderRequest.objects.filter(pk=request.pk).update(
            requested_at=timezone.now() - timedelta(days=420)
        )
        with applying():
            answer = Order(
                origin=bumdes.origin or "1503012021",
                rev=1,
                bumdes=bumdes,
                code="KDE4WX",
                status=OrderStatus.NEW,
                request=request,
            )
            answer.save()
        yield request, answer


def test_on_the_upstream_a_request_is_erased_once_its_answer_is_closed_long_enough(
    upstream_request,
):
    request, answer = upstream_request
    # given the village's answer still open: the retention leaves the request
    assert market_retention_apply() == {"orders": 0, "requests": 0}
    # when the answer is done, 400 days ago
    Order.objects.filter(pk=answer.pk).update(
        status=OrderStatus.DONE, status_changed_at=timezone.now() - timedelta(days=400)
    )
    done = market_retention_apply()
    # then the request is erased (the village's order is not the upstream's to change)
    assert done == {"orders": 0, "requests": 1}
    erased = OrderRequest.objects.get(pk=request.pk)
    assert (erased.buyer_name, erased.buyer_phone) == (ERASED_NAME, ERASED_PHONE)
    assert erased.buyer_place == erased.delivery_address == ""
    # and the change a village receives passes the validation every hub runs on apply
    with applying():
        erased.full_clean(validate_unique=False, validate_constraints=False)


def test_on_the_upstream_the_erase_action_erases_a_closed_request(upstream_request):
    request, answer = upstream_request
    # given its answer cancelled
    Order.objects.filter(pk=answer.pk).update(status=OrderStatus.CANCELLED)
    # when the buyer asks by phone
    done = buyer_data_erase(phone="0813 1111 2222", reason="email 3 Des")
    # then the request is erased and logged
    assert done.requests == ["RQ5678"]
    assert OrderRequest.objects.get(pk=request.pk).buyer_phone == ERASED_PHONE
    assert BuyerDataLog.objects.get(request=request).action == BuyerDataLog.Action.ERASE


# --- the admin ---


def test_opening_an_order_or_its_slip_is_logged_but_an_erased_one_is_not(
    admin_client, admin_user, orders
):
    order = orders["recent"]
    # when an administrator opens an order's page, then its slip
    assert admin_client.get(f"/admin/pasar/pesanan/inspect/{order.pk}/").status_code == 200
    assert admin_client.get(f"/admin/pasar/pesanan/slip/{order.pk}/").status_code == 200
    # then both are in the log, with who and which order
    actions = list(
        BuyerDataLog.objects.filter(order=order, user=admin_user)
        .order_by("at")
        .values_list("action", flat=True)
    )
    assert actions == [BuyerDataLog.Action.DETAIL, BuyerDataLog.Action.SLIP]
    # and an erased order's page (nothing personal on it) adds nothing
    buyer_data_erase(code=order.code)
    before = BuyerDataLog.objects.count()
    admin_client.get(f"/admin/pasar/pesanan/inspect/{order.pk}/")
    assert BuyerDataLog.objects.count() == before


def test_the_erase_page_is_for_administrators_only(client, orders, staff_factory, bumdes):
    # given BUMDes staff, who may handle orders
    client.force_login(staff_factory(bumdes))
    # when they open or post to the erase page / then they are refused (Wagtail's admin sends
    # a refused user back to the dashboard with its message) and nothing changes
    for response in (
        client.get("/admin/pasar/data-pembeli/"),
        client.post("/admin/pasar/data-pembeli/", {"code": orders["old_done"].code}),
    ):
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert Order.objects.get(pk=orders["old_done"].pk).buyer_name == "Siti"


def test_an_administrator_erases_from_the_page_and_sees_the_log(admin_client, orders):
    # when an administrator posts a closed order's code with a reason
    response = admin_client.post(
        "/admin/pasar/data-pembeli/",
        {"code": orders["old_done"].code, "reason": "permintaan lisan"},
        follow=True,
    )
    # then it is erased, said so, and the log on the page shows it
    assert response.status_code == 200
    assert Order.objects.get(pk=orders["old_done"].pk).buyer_name == ""
    page = response.content.decode()
    assert orders["old_done"].code in page and "permintaan lisan" in page
    # and a refused request says why and changes nothing
    response = admin_client.post("/admin/pasar/data-pembeli/", {"phone": PHONE}, follow=True)
    assert orders["new"].code in response.content.decode()
    assert Order.objects.get(pk=orders["new"].pk).buyer_name == "Siti"
