"""The optional learner profile under /belajar/profil/: make one, log in with the nickname and
PIN, log out — plain forms, no JavaScript. Logging in moves this phone's progress (its cookie)
into the profile. Never cached: the page is about this phone."""

from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from hub.core.clients import client_address

from .. import profiles, services
from ..models import LearnerGroup
from ..progress import Progress, device_progress_clear, request_learner


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/belajar/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return ""


def _page(request, *, login_error="", create_error="", status=200):
    return render(
        request,
        "elearning_courses/profile.html",
        {
            "learner": request_learner(request),
            "groups": LearnerGroup.objects.filter(active=True),
            "next": _next_url(request),
            "login_error": login_error,
            "create_error": create_error,
            "posted": request.POST if request.method == "POST" else {},
            "nickname_max": services.NICKNAME_MAX,
        },
        status=status,
    )


@never_cache
@require_safe
def profile(request):
    return _page(request)


def _logged_in(request, learner):
    """Move the device's progress into the profile and remember the login on this phone."""
    services.learner_progress_merge(learner=learner, device=Progress.from_device(request))
    response = redirect(_next_url(request) or "courses:profile")
    device_progress_clear(response)
    profiles.login_cookie_set(response, learner)
    return response


@never_cache
@require_POST
def login(request):
    """Bad nickname or PIN: 403, a locked profile: 429; nothing recorded but the try."""
    try:
        learner = services.learner_login(
            nickname=request.POST.get("nickname", ""),
            pin=request.POST.get("pin", ""),
            address=client_address(request),
        )
    except services.ProfileLocked as exc:
        return _page(request, login_error=str(exc), status=429)
    except services.ProfileRefused as exc:
        return _page(request, login_error=str(exc), status=403)
    return _logged_in(request, learner)


@never_cache
@require_POST
def create(request):
    try:
        learner = services.learner_create(
            nickname=request.POST.get("nickname", ""),
            pin=request.POST.get("pin", ""),
            pin_again=request.POST.get("pin_again", ""),
            group_id=request.POST.get("group", ""),
        )
    except services.ProfileRefused as exc:
        return _page(request, create_error=str(exc), status=400)
    return _logged_in(request, learner)


@never_cache
@require_POST
def logout(request):
    """Forget the profile on this phone; its progress stays in the profile, the phone starts
    afresh."""
    response = redirect(_next_url(request) or "courses:profile")
    profiles.login_cookie_clear(response)
    return response
