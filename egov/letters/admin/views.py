"""The officials' side of letter requests: the queue (NIK and KK masked), the detail (in full,
logged), the photos and the letter (logged), and the decisions, each calling one service.

Every view asks for ``egov_letters.review_letterrequest`` (the "Pelayanan" group): an official
of another group gets a 403, whatever they can do elsewhere in the admin.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from .. import photos, services
from ..forms import DecisionForm
from ..models import LetterRequest, LetterViewLog, RequestStatus
from ..selectors import request_values, requests_for_review

REVIEW = "egov_letters.review_letterrequest"
PAGE_SIZE = 50


def _reviewer(request):
    if not request.user.has_perm(REVIEW):
        raise PermissionDenied
    return request.user


def _request_or_404(pk) -> LetterRequest:
    found = LetterRequest.objects.select_related("letter_type", "verification").filter(pk=pk)
    found = found.first()
    if found is None:
        raise Http404
    return found


def _log(letter_request, user, action) -> None:
    LetterViewLog.objects.create(request=letter_request, user=user, action=action)


@never_cache
@require_safe
def index(request):
    _reviewer(request)
    status = request.GET.get("status", "")
    page = Paginator(requests_for_review(status=status), PAGE_SIZE).get_page(request.GET.get("p"))
    return render(
        request,
        "egov_letters/admin/index.html",
        {"page": page, "status": status, "statuses": RequestStatus.choices},
    )


@never_cache
@require_safe
def detail(request, pk):
    user = _reviewer(request)
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
def photo(request, pk, photo_pk):
    user = _reviewer(request)
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
def pdf(request, pk):
    user = _reviewer(request)
    found = _request_or_404(pk)
    if found.status != RequestStatus.APPROVED or not found.pdf_path:
        raise Http404
    _log(found, user, LetterViewLog.Action.PDF)
    # inline: the official prints it from the browser
    response = HttpResponse(services.letter_pdf_bytes(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="surat-{found.code}.pdf"'
    return response


def _decide(request, pk, decide, done_message):
    user = _reviewer(request)
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
def approve(request, pk):
    return _decide(
        request,
        pk,
        lambda found, user: services.letter_request_approve(request_id=found.pk, user=user),
        _("Permohonan %(code)s disetujui; surat sudah bernomor dan siap dicetak."),
    )


@require_POST
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
def revoke(request, pk):
    def do(found, user):
        if found.verification is None:
            raise services.LetterError(_("Permohonan ini belum punya surat."))
        services.letter_revoke(verification=found.verification, user=user)

    return _decide(request, pk, do, _("Surat permohonan %(code)s dicabut."))
