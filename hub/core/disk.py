"""Free space in the data directory, and writes that fail cleanly when it runs out.

An SD card fills up (photos, renditions, backups, the sync journal). Three levels, read from
``HUB_DATA_DIR``: *ok*; *low* below ``HUB_DISK_WARN_FREE_BYTES`` (the admin dashboard and the
heartbeat say so, everything still works); *critical* below ``HUB_HEALTH_MIN_FREE_BYTES``
(/healthz answers 503 and new orders, letter requests and uploads are refused with a message,
before SQLite or a file write can fail half-way). A write that fails anyway (``ENOSPC``, SQLite's
"database or disk is full") becomes the same message, never a 500: services wrap their writes in
:func:`disk_full_as`, and :class:`DiskFullMiddleware` catches what reaches a view.
"""

import errno
import shutil
import sys
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _

OK = "ok"
LOW = "low"
CRITICAL = "critical"


def disk_free_bytes() -> int | None:
    """Free bytes for this hub's data, or None when the directory cannot be read."""
    try:
        return shutil.disk_usage(settings.DATA_DIR).free
    except OSError:
        return None


def disk_level(free: int | None = None) -> str:
    free = disk_free_bytes() if free is None else free
    if free is None:
        return OK  # the data_dir check and /healthz report an unreadable directory
    if free < settings.HUB_HEALTH_MIN_FREE_BYTES:
        return CRITICAL
    if free < settings.HUB_DISK_WARN_FREE_BYTES:
        return LOW
    return OK


def disk_full_message() -> str:
    return _(
        "Penyimpanan hub desa sedang penuh, jadi data baru tidak dapat disimpan. Tidak ada yang "
        "tersimpan dari permintaan ini. Coba lagi nanti, atau beri tahu kantor desa."
    )


def is_disk_full(exc: BaseException) -> bool:
    """``ENOSPC``/``EDQUOT`` from a file write, or SQLite's SQLITE_FULL."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if isinstance(exc, DatabaseError):
        text = str(exc).lower()
        return "database or disk is full" in text or "no space left on device" in text
    return False


def disk_space_require(error_class) -> None:
    """Raise ``error_class`` (a ``ValidationError``) when free space is critical."""
    if disk_level() == CRITICAL:
        raise error_class(disk_full_message(), code="disk")


@contextmanager
def disk_full_as(error_class):
    """Turn a disk-full failure inside the block into ``error_class`` with the message. Use it
    around the whole ``transaction.atomic()`` block, so the transaction has rolled back."""
    try:
        yield
    except (OSError, DatabaseError) as exc:
        if is_disk_full(exc):
            raise error_class(disk_full_message(), code="disk") from exc
        raise


def disk_full_response(request) -> HttpResponse:
    """507 Insufficient Storage, a page that needs neither the database nor a disk write."""
    from .middleware import language_from_cookie

    try:
        stylesheet = static("site/balai.css")
    except ValueError:
        stylesheet = ""
    with translation.override(language_from_cookie(request)):
        body = render_to_string("507.html", {"STATIC_CSS": stylesheet})
        response = HttpResponse(body, status=507)
        response["Content-Language"] = translation.get_language()
    response["Cache-Control"] = "no-store"
    response["Retry-After"] = "600"
    return response


def disk_full_exception() -> bool:
    """Whether the exception being handled (in a 500 handler) is a full disk."""
    exc = sys.exc_info()[1]
    while exc is not None:
        if is_disk_full(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class DiskFullMiddleware:
    """A view that fails on a full disk answers with the 507 page instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        cause = exception
        while cause is not None:
            if is_disk_full(cause):
                return disk_full_response(request)
            cause = cause.__cause__ or cause.__context__
        return None
