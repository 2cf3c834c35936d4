"""Admin views of the marketplace.

- The generic Wagtail views (listing, edit, delete, inspect, history, usage) scoped to the
  user's BUMDes: a listing only holds what the user may see, and the URL of another BUMDes's
  object answers 404 whichever view it is asked of.
- An order's page with its lines and the buttons to its next statuses, and its printable slip.
- An outside request's page with the accept and decline buttons.
- Opening an order's or request's page, or its slip, is logged (``BuyerDataLog``): they show
  the buyer's full name, phone and address.
- Administrators erase a buyer's data at the buyer's request, and read that log
  (:func:`buyer_data_erase_view`).

The buttons call the services (``order_status_set``, ``order_request_accept``,
``order_request_decline``): an order changes in no other way in the admin.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from wagtail.admin import messages
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage

from hub.core.exports import csv_cell
from hub.core.roles import is_upstream

from ..models import BuyerDataLog, Fulfilment, Order, OrderRequest, OrderStatus
from ..permissions import (
    ORDER_CHANGE,
    REQUEST_CHANGE,
    object_in_scope_or_404,
    scoped_queryset,
)
from ..services import (
    OrderError,
    buyer_data_erase,
    buyer_data_viewed,
    order_request_accept,
    order_request_decline,
    order_status_set,
)

# -- the generic views, scoped ---------------------------------------------------------------


class ScopedObjectMixin:
    """A view of one object that answers 404 for an object outside the user's BUMDes."""

    def get_object(self, *args, **kwargs):
        return object_in_scope_or_404(self.request.user, super().get_object(*args, **kwargs))


class ScopedIndexView(generic.IndexView):
    """A listing (and its search, filters and CSV/XLSX export) of the user's BUMDes only.
    Exported cells that a spreadsheet would read as a formula are defused."""

    def get_base_queryset(self):
        return scoped_queryset(super().get_base_queryset(), self.request.user)

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        # XLSX: Wagtail already stores a formula-looking cell as text
        return csv_cell(value) if export_format == self.FORMAT_CSV else value


class ScopedEditView(ScopedObjectMixin, generic.EditView):
    pass


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    def form_valid(self, form):
        # A BUMDes with products, orders or requests is protected by its foreign keys: say so,
        # whether the reference index already knows it (Wagtail would answer "no permission")
        # or only the database does (a server error; the deletion's log entry is rolled back).
        if self.usage and self.usage.is_protected:
            return self._refuse_protected()
        try:
            return super().form_valid(form)
        except ProtectedError:
            return self._refuse_protected()

    def _refuse_protected(self):
        messages.error(
            self.request,
            _(
                "%(object)s masih dipakai oleh produk, pesanan atau permintaan, jadi tidak "
                "dapat dihapus. Nonaktifkan saja."
            )
            % {"object": self.object},
        )
        return redirect(self.index_url_name)


class ScopedInspectView(ScopedObjectMixin, generic.InspectView):
    pass


class ScopedHistoryView(ScopedObjectMixin, history.HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, usage.UsageView):
    pass


class ScopedCopyView(ScopedObjectMixin, generic.CopyView):
    pass


# -- orders ----------------------------------------------------------------------------------


def _order_of(request, pk) -> Order:
    return get_object_or_404(
        scoped_queryset(Order.objects.select_related("bumdes", "request"), request.user), pk=pk
    )


def order_may_change(user, order: Order) -> bool:
    """Staff and officials with the permission move the orders of this village's BUMDes."""
    return not is_upstream() and order.is_local and user.has_perm(ORDER_CHANGE)


class OrderInspectView(ScopedInspectView):
    """An order: buyer, lines, total, and a button per status it may move to."""

    template_name = "marketplace/admin/order_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order = self.object
        buyer_data_viewed(user=self.request.user, action=BuyerDataLog.Action.DETAIL, order=order)
        context.update(
            {
                "order": order,
                "lines": list(order.lines.all()),
                "can_change": order_may_change(self.request.user, order),
                "next_statuses": [
                    (value, OrderStatus(value).label)
                    for value in order.next_statuses()
                    if value != OrderStatus.CANCELLED
                ],
                "can_cancel": OrderStatus.CANCELLED in order.next_statuses(),
                "status_url": reverse("market_orders:status", args=[order.pk]),
                "slip_url": reverse("market_orders:slip", args=[order.pk]),
                "is_delivery": order.fulfilment == Fulfilment.DELIVERY,
            }
        )
        return context


def _error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages_ in exc.message_dict.values() for m in messages_]
    return exc.messages


@require_POST
def order_status(request, pk):
    order = _order_of(request, pk)
    if not order_may_change(request.user, order):
        raise PermissionDenied
    status = request.POST.get("status", "")
    try:
        order = order_status_set(order=order, status=status, reason=request.POST.get("reason", ""))
    except OrderError as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Pesanan %(code)s sekarang: %(status)s.")
            % {"code": order.code, "status": order.status_label},
        )
    return redirect("market_orders:inspect", order.pk)


@require_safe
def order_slip(request, pk):
    """A printable slip: A4 by default, ``?ukuran=58`` for a 58 mm thermal printer."""
    order = _order_of(request, pk)
    if not request.user.has_perm("marketplace.view_order"):
        raise PermissionDenied
    thermal = request.GET.get("ukuran") == "58"
    buyer_data_viewed(user=request.user, action=BuyerDataLog.Action.SLIP, order=order)
    return TemplateResponse(
        request,
        "marketplace/admin/order_slip.html",
        {
            "order": order,
            "lines": list(order.lines.all()),
            "thermal": thermal,
            "is_delivery": order.fulfilment == Fulfilment.DELIVERY,
        },
    )


# -- outside order requests ------------------------------------------------------------------


def _request_of(request, pk) -> OrderRequest:
    return get_object_or_404(
        scoped_queryset(OrderRequest.objects.select_related("bumdes"), request.user), pk=pk
    )


def request_may_answer(user, order_request: OrderRequest) -> bool:
    return not is_upstream() and user.has_perm(REQUEST_CHANGE)


class RequestInspectView(ScopedInspectView):
    """An outside buyer's request: what they want, and the accept and decline buttons."""

    template_name = "marketplace/admin/request_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        order_request = self.object
        buyer_data_viewed(
            user=self.request.user, action=BuyerDataLog.Action.DETAIL, order_request=order_request
        )
        answer = Order.objects.filter(request=order_request).first()
        context.update(
            {
                "order_request": order_request,
                "answer": answer,
                "answer_url": reverse("market_orders:inspect", args=[answer.pk]) if answer else "",
                "can_answer": answer is None
                and order_request.status == "terkirim"
                and request_may_answer(self.request.user, order_request),
                "accept_url": reverse("market_requests:accept", args=[order_request.pk]),
                "decline_url": reverse("market_requests:decline", args=[order_request.pk]),
            }
        )
        return context


@require_POST
def request_accept(request, pk):
    order_request = _request_of(request, pk)
    if not request_may_answer(request.user, order_request):
        raise PermissionDenied
    try:
        order = order_request_accept(order_request=order_request)
    except OrderError as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
        return redirect("market_requests:inspect", order_request.pk)
    messages.success(
        request,
        _("Permintaan %(request)s diterima: pesanan %(code)s, stok sudah disisihkan.")
        % {"request": order_request.code, "code": order.code},
    )
    return redirect("market_orders:inspect", order.pk)


@require_POST
def request_decline(request, pk):
    order_request = _request_of(request, pk)
    if not request_may_answer(request.user, order_request):
        raise PermissionDenied
    try:
        order_request_decline(order_request=order_request, reason=request.POST.get("reason", ""))
    except OrderError as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
        return redirect("market_requests:inspect", order_request.pk)
    messages.success(
        request,
        _("Permintaan %(request)s ditolak; alasannya dikirim ke pembeli pada sinkronisasi berikut.")
        % {"request": order_request.code},
    )
    return redirect("market_requests:index")


# -- a buyer's data: erasure at the buyer's request, and the log ----------------------------

LOG_ROWS = 100


def buyer_data_erase_view(request):
    """Administrators only: erase the buyer data of the orders and requests of a phone number
    or a code (``marketplace.services.buyer_data_erase``), and read the last entries of the log
    of who saw or erased a buyer's data."""
    if not request.user.is_superuser:
        raise PermissionDenied
    form = {"phone": "", "code": "", "reason": ""}
    if request.method == "POST":
        form = {key: request.POST.get(key, "").strip() for key in form}
        try:
            done = buyer_data_erase(
                phone=form["phone"], code=form["code"], reason=form["reason"], user=request.user
            )
        except OrderError as exc:
            for message in _error_messages(exc):
                messages.error(request, message)
        else:
            erased = done.orders + done.requests
            if erased:
                messages.success(
                    request,
                    _("Data pembeli dihapus dari: %(codes)s.") % {"codes": ", ".join(erased)},
                )
            for code, origin in sorted(done.elsewhere.items()):
                messages.warning(
                    request,
                    _(
                        "%(code)s milik %(origin)s: data pembelinya dihapus di sana, lalu "
                        "sampai ke hub ini lewat sinkronisasi."
                    )
                    % {"code": code, "origin": origin},
                )
            return redirect("market_buyer_data")
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return TemplateResponse(
        request,
        "marketplace/admin/buyer_data.html",
        {
            "form": form,
            "log": BuyerDataLog.objects.select_related("user")[:LOG_ROWS],
        },
    )
