"""Login throttling on top of django-axes (settings ``AXES_*`` in hub/settings/base.py).

Failures are counted per user name *and* address: a phone guessing the official's password
locks only itself out of that name, and the official logs in from the office PC meanwhile.
While locked, the Axes backend refuses before any password is hashed (1,000,000 PBKDF2 rounds
cost a core about a second), and AxesMiddleware answers with :func:`lockout_response`."""

import contextlib
import fcntl
import math
import time
from pathlib import Path

from axes.helpers import get_cool_off, get_failure_limit
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
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


@contextlib.contextmanager
def password_check_slot(wait: float):
    """One of HUB_LOGIN_CONCURRENT_CHECKS slots for a password check on this host, waiting at
    most ``wait`` seconds; yields whether one was had. The slots are file locks in the data
    directory, so they hold across gunicorn's workers and threads alike."""
    directory = Path(settings.DATA_DIR) / "cache"
    directory.mkdir(parents=True, exist_ok=True)
    handles = []
    deadline = time.monotonic() + wait
    try:
        while True:
            for slot in range(max(1, settings.HUB_LOGIN_CONCURRENT_CHECKS)):
                handle = open(directory / f"password-check.{slot}.lock", "a+b")  # noqa: SIM115
                handles.append(handle)
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                yield True
                return
            for handle in handles:
                handle.close()
            handles.clear()
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(0.02)
    finally:
        for handle in handles:
            handle.close()  # closing the file releases its lock


class SerialPasswordBackend(ModelBackend):
    """Django's ModelBackend with at most HUB_LOGIN_CONCURRENT_CHECKS password checks at a time
    on the host.

    A PBKDF2 check takes a whole core for about a second (1.0-1.5 s on the 2-core test machine);
    twenty phones posting
    passwords at once would take both cores of a small hub from the villagers reading pages. One
    check at a time leaves them a core. A login that waits longer than HUB_LOGIN_WAIT_SECONDS is
    answered "busy, try again" (503), and is not counted towards a lockout."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        with password_check_slot(settings.HUB_LOGIN_WAIT_SECONDS) as granted:
            if not granted:
                if request is not None:
                    request.balai_login_busy = True
                return None
            return super().authenticate(request, username, password, **kwargs)


def login_busy(request, credentials=None) -> bool:
    """AXES_WHITELIST_CALLABLE: a login refused because the checks were busy is not a failure
    of the user's (it is never checked against the lockout either: the flag is only set after
    the Axes backend has let the request through)."""
    return bool(getattr(request, "balai_login_busy", False))


class LoginBusyMiddleware:
    """The busy page (503) for a login that found no password-check slot in time."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "balai_login_busy", False):
            response = render(request, "core/login_busy.html", status=503)
            response["Retry-After"] = "10"
            response["Cache-Control"] = "no-store"
        return response
