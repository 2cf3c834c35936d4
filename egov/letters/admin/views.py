"""The officials' side of letter requests: the queue (NIK and KK masked), the detail (in full,
logged), the photos and the letter (logged), and the decisions, each calling one service.

Every view asks for ``egov_letters.review_letterrequest`` (the "Pelayanan" group): an official
of another group gets a 403, whatever they can do elsewhere in the admin.
"""

import functools
import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from .. import photos, retention, services
from ..forms import DecisionForm
from ..models import LetterRequest, LetterViewLog, RequestStatus
from ..selectors import request_ids_for_review, request_values, requests_for_review_by_ids

REVIEW = "egov_letters.review_letterrequest"
PAGE_SIZE = 50


def reviewer_required(view):
    """A plain 403 for an official without the permission. (Raising PermissionDenied would let
    Wagtail turn it into a redirect to the dashboard: the refusal should be plain.)"""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm(REVIEW):
            return HttpResponseForbidden(
                _("Anda tidak berhak membuka permohonan surat."), content_type="text/plain"
            )
        return view(request, *args, **kwargs)

    return wrapped


def _request_or_404(pk) -> LetterRequest:
    found = LetterRequest.objects.select_related("letter_type", "verification").filter(pk=pk)
    found = found.first()
    if found is None:
        raise Http404
    return found


def _log(letter_request, user, action) -> None:
    LetterViewLog.objects.create(request=letter_request, user=user, action=action)


# a request id no request has: reversed once a page, replaced by each row's id
_URL_SENTINEL = uuid.UUID(int=0)


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue, every cell ready to print (the template only escapes)."""

    url: str
    code: str
    letter_type: str
    name: str
    nik_masked: str
    kk_masked: str
    submitted: str
    status: str


def _queue_rows(items) -> list[QueueRow]:
    """The page's rows with what Django's template tags would compute for each, computed once a
    page instead: the status labels and month names translated once, the detail URL reversed
    once, the date formatted as ``{{ value|date:"j M Y H:i" }}`` writes it. Fifty rows of
    ``{% url %}`` and ``|date`` took as long as the rest of the table."""
    labels = dict(RequestStatus.choices)
    months = {number: str(name).title() for number, name in MONTHS_3.items()}
    detail = reverse("letter_requests:detail", args=[_URL_SENTINEL])
    rows = []
    for item in items:
        when = timezone.localtime(item.submitted_at)
        rows.append(
            QueueRow(
                url=detail.replace(str(_URL_SENTINEL), str(item.pk)),
                code=item.code,
                letter_type=item.letter_type.name,
                name=item.name,
                nik_masked=item.nik_masked,
                kk_masked=item.kk_masked,
                submitted=f"{when.day} {months[when.month]} {when.year} {when:%H:%M}",
                status=labels.get(item.status, item.status),
            )
        )
    return rows


@never_cache
@require_safe
@reviewer_required
def index(request):
    status = request.GET.get("status", "")
    ids = request_ids_for_review(status=status)
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("p"))
    return render(
        request,
        "egov_letters/admin/index.html",
        {
            "page": page,
            "rows": _queue_rows(requests_for_review_by_ids(page)),
            "status": status,
            "statuses": RequestStatus.choices,
        },
    )


@never_cache
@require_safe
@reviewer_required
def detail(request, pk):
    user = request.user
    found = _request_or_404(pk)
    if found.anonymised_at is None:
        _log(found, user, LetterViewLog.Action.DETAIL)
    return render(
        request,
        "egov_letters/admin/detail.html",
        {
            "letter_request": found,
            "values": request_values(found),
            "photos": list(found.photos.all()),
            "views": list(found.views.select_related("user")[:20]),
            "form": DecisionForm(),
        },
    )


@never_cache
@require_safe
@reviewer_required
def photo(request, pk, photo_pk):
    user = request.user
    found = _request_or_404(pk)
    attachment = found.photos.filter(pk=photo_pk).first()
    if attachment is None:
        raise Http404
    _log(found, user, LetterViewLog.Action.PHOTO)
    try:
        data = photos.private_read(attachment.path)
    except OSError:
        raise Http404 from None
    response = HttpResponse(data, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_safe
@reviewer_required
def pdf(request, pk):
    user = request.user
    found = _request_or_404(pk)
    if found.status != RequestStatus.APPROVED or not found.pdf_path:
        raise Http404
    _log(found, user, LetterViewLog.Action.PDF)
    # inline: the official prints it from the browser
    response = HttpResponse(services.letter_pdf_bytes(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="surat-{found.code}.pdf"'
    return response


def _decide(request, pk, decide, done_message):
    user = request.user
    found = _request_or_404(pk)
    try:
        decide(found, user)
    except services.LetterError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done_message % {"code": found.code})
    return redirect(reverse("letter_requests:detail", args=[found.pk]))


@require_POST
@reviewer_required
def approve(request, pk):
    return _decide(
        request,
        pk,
        lambda found, user: services.letter_request_approve(request_id=found.pk, user=user),
        _("Permohonan %(code)s disetujui; surat sudah bernomor dan siap dicetak."),
    )


@require_POST
@reviewer_required
def ask_correction(request, pk):
    return _decide(
        request,
        pk,
        lambda found, user: services.letter_request_ask_correction(
            request_id=found.pk, note=request.POST.get("text", ""), user=user
        ),
        _("Pemohon %(code)s diminta memperbaiki permohonannya."),
    )


@require_POST
@reviewer_required
def reject(request, pk):
    return _decide(
        request,
        pk,
        lambda found, user: services.letter_request_reject(
            request_id=found.pk, reason=request.POST.get("text", ""), user=user
        ),
        _("Permohonan %(code)s ditolak."),
    )


@require_POST
@reviewer_required
def revoke(request, pk):
    def do(found, user):
        if found.verification is None:
            raise services.LetterError(_("Permohonan ini belum punya surat."))
        services.letter_revoke(verification=found.verification, user=user)

    return _decide(request, pk, do, _("Surat permohonan %(code)s dicabut."))


@require_POST
@reviewer_required
def erase(request, pk):
    return _decide(
        request,
        pk,
        lambda found, user: retention.letter_request_erase(request_id=found.pk, user=user),
        _("Data pribadi permohonan %(code)s dihapus (juga salinannya yang diteruskan)."),
    )
