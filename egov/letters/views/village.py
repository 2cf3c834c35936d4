"""The villager's letter pages on the village hub: the list of letters, the request form, the
confirmation with the tracking code, the status (what to fix), the correction, the download of
the letter, and the kiosk page for the office's shared tablet.

The list of letters sets no cookie and is cached like any public page. Every page with a form
or personal data is ``never_cache``. Nothing personal is ever in a URL: the code and phone are
posted, and the confirmation's URL holds only a signed request id.
"""

from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from hub.core.ratelimit import rate_limit

from .. import selectors, services
from ..forms import LetterRequestForm, LookupForm
from ..models import LetterRequest, RequestStatus
from . import client_address

SENT_SALT = "egov.letters.sent"
SENT_MAX_AGE = 24 * 3600
KIOSK_PARAM = "anjungan"


def _kiosk(request) -> bool:
    return request.GET.get(KIOSK_PARAM) == "1" or request.POST.get(KIOSK_PARAM) == "1"


@require_safe
def letter_types(request):
    return render(
        request, "egov_letters/types.html", {"types": list(selectors.letter_types_offered())}
    )


@never_cache
@require_safe
def kiosk(request):
    """The office tablet's start page: big buttons, every request marked as from the kiosk so
    its confirmation returns here and keeps nothing on screen."""
    return render(
        request, "egov_letters/kiosk.html", {"types": list(selectors.letter_types_offered())}
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_form(request, code):
    letter_type = selectors.letter_type_offered(code)
    if letter_type is None:
        raise Http404
    status = 200
    if request.method == "POST":
        form = LetterRequestForm(request.POST, request.FILES, letter_type=letter_type)
        if form.is_valid():
            try:
                sent = services.letter_request_submit(
                    letter_type=letter_type,
                    applicant=form.applicant(),
                    values=form.values(),
                    uploads=form.uploads(),
                    client_key=services.client_key_for(client_address(request)),
                )
            except services.RateLimited as exc:
                form.add_service_error(exc)
                status = 429
            except services.LetterError as exc:
                form.add_service_error(exc)
                status = 507 if getattr(exc, "code", None) == "disk" else 400
            else:
                token = signing.dumps(str(sent.pk), salt=SENT_SALT)
                url = reverse("letters:sent", args=[token])
                return redirect(url + ("?anjungan=1" if _kiosk(request) else ""))
        else:
            status = 400
    else:
        form = LetterRequestForm(letter_type=letter_type)
    return render(
        request,
        "egov_letters/request_form.html",
        {
            "letter_type": letter_type,
            "form": form,
            "kiosk": _kiosk(request),
            "forward": selectors.letter_forward_notice(letter_type),
        },
        status=status,
    )


@never_cache
@require_safe
def request_sent(request, token):
    try:
        pk = signing.loads(token, salt=SENT_SALT, max_age=SENT_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    sent = get_object_or_404(LetterRequest.objects.select_related("letter_type"), pk=pk)
    return render(
        request,
        "egov_letters/request_sent.html",
        {"letter_request": sent, "kiosk": _kiosk(request)},
    )


def _status_render(request, *, form, found=None, not_found=False, correction=None, status=200):
    return render(
        request,
        "egov_letters/status.html",
        {
            "form": form,
            "letter_request": found,
            "not_found": not_found,
            "correction": correction,
            "values": selectors.request_values(found) if found else [],
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("lookup", methods=("POST",))
def request_status(request):
    """Code and phone in, the request's status out; any wrong pair gets the same answer."""
    if request.method != "POST":
        form = LookupForm(initial={"code": request.GET.get("kode", "")[:12]})
        return _status_render(request, form=form)
    form = LookupForm(request.POST)
    if not form.is_valid():
        return _status_render(request, form=form, status=400)
    found = selectors.letter_request_for_applicant(
        code=form.cleaned_data["code"], phone=form.cleaned_data["phone"]
    )
    if found is None:
        return _status_render(request, form=form, not_found=True, status=404)
    correction = None
    if found.status == RequestStatus.CORRECTION:
        correction = LetterRequestForm(letter_type=found.letter_type, correcting=True)
    return _status_render(request, form=form, found=found, correction=correction)


@never_cache
@require_POST
def request_correct(request):
    lookup = LookupForm(request.POST)
    if not lookup.is_valid():
        return _status_render(request, form=lookup, status=400)
    code, phone = lookup.cleaned_data["code"], lookup.cleaned_data["phone"]
    found = selectors.letter_request_for_applicant(code=code, phone=phone)
    if found is None:
        return _status_render(request, form=lookup, not_found=True, status=404)
    form = LetterRequestForm(
        request.POST, request.FILES, letter_type=found.letter_type, correcting=True
    )
    if form.is_valid():
        try:
            found = services.letter_request_correct(
                code=code,
                phone=phone,
                applicant=form.applicant(phone=phone),
                values=form.values(),
                uploads=form.uploads(),
            )
        except services.LetterError as exc:
            form.add_service_error(exc)
        else:
            return _status_render(request, form=lookup, found=found)
    return _status_render(request, form=lookup, found=found, correction=form, status=400)


@never_cache
@require_POST
def letter_download(request):
    """The approved letter's PDF, to the requester only (code and phone posted again)."""
    lookup = LookupForm(request.POST)
    found = None
    if lookup.is_valid():
        found = selectors.letter_request_for_applicant(
            code=lookup.cleaned_data["code"], phone=lookup.cleaned_data["phone"]
        )
    if found is None or found.status != RequestStatus.APPROVED or not found.pdf_path:
        return _status_render(request, form=lookup, not_found=True, status=404)
    response = HttpResponse(services.letter_pdf_bytes(found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="surat-{found.code}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
