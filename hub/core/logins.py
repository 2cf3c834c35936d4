"""Login throttling on top of django-axes (settings ``AXES_*`` in hub/settings/base.py).

Failures are counted per user name *and* address: a phone guessing the official's password
locks only itself out of that name, and the official logs in from the office PC meanwhile.
While locked, the Axes backend refuses before any password is hashed (a PBKDF2 run costs a
Pi about a quarter of a second), and AxesMiddleware answers with :func:`lockout_response`."""

import math

from axes.helpers import get_cool_off, get_failure_limit
from axes.utils import reset
from django.shortcuts import render


def lockout_response(request, original_response=None, credentials=None):
    """The lockout page: 429, Indonesian first, with Retry-After."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    response = render(
        request,
        "core/login_locked.html",
        {
            "failure_limit": get_failure_limit(request, credentials),
            "minutes": max(1, math.ceil(seconds / 60)),
        },
        status=429,
    )
    if seconds:
        response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


def login_lockout_clear(*, username: str | None = None, address: str | None = None) -> int:
    """Forgets the failed logins of a user name, an address, or both together (the pair axes
    locks); neither: every lockout. Returns how many records were removed."""
    if username and address:
        return reset(ip=address, username=username)
    if username:
        return reset(username=username)
    if address:
        return reset(ip=address)
    return reset()
