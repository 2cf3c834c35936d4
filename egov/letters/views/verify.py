"""The verification page a letter's QR code opens: valid or revoked, with the type, number,
date and village, and nothing personal. On the upstream it answers once the record synced up."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..selectors import letter_verification_for_token


@never_cache  # a revocation must show at once, and the token is a secret of the letter
@require_safe
def verification(request, token):
    found = letter_verification_for_token(token)
    response = render(
        request,
        "egov_letters/verification.html",
        {"verification": found},
        status=200 if found else 404,
    )
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
