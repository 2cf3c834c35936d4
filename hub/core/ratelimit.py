"""A small request limiter for villager-facing endpoints, on Django's cache.

Fixed windows per client address: ``HUB_RATE_LIMITS[scope] = (requests, seconds)``. It works on
the embedded default (no nginx): the counters live in the ``ratelimit`` cache, which is each
gunicorn worker's memory, so with N workers one address gets at most N × the limit; nginx's
``limit_req`` zones (when provisioned) are the shared layer in front. A client over the limit
gets a 429 page in its language with ``Retry-After``, never a 500: a cache that fails lets the
request through.
"""

import functools
import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import translation

from hub.core.clients import client_address

logger = logging.getLogger(__name__)


def address_in(address: str, networks) -> bool:
    """Whether ``address`` is loopback or inside one of ``networks`` (addresses or CIDRs)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.is_loopback:
        return True
    for network in networks:
        try:
            if ip in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def retry_after(request, scope: str) -> int:
    """Count this request against ``scope``; seconds the client must wait, or 0 when allowed."""
    limit = settings.HUB_RATE_LIMITS.get(scope)
    if not limit:
        return 0
    allowed, seconds = limit
    now = time.time()
    window = int(now // seconds)
    who = hashlib.sha256(client_address(request).encode()).hexdigest()[:24]
    key = f"rl:{scope}:{who}:{window}"
    cache = caches["ratelimit"]
    try:
        cache.add(key, 0, timeout=seconds + 1)
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this one as the first
        cache.set(key, 1, timeout=seconds + 1)
        count = 1
    except Exception:  # a broken cache must not turn every page into a 500
        logger.exception("rate limit cache failed; request allowed")
        return 0
    if count <= allowed:
        return 0
    return max(1, int((window + 1) * seconds - now + 0.999))


def too_many_response(request, wait: int):
    """The 429 page, in the villager's language (this may run before the locale middleware)."""
    from .middleware import language_from_cookie

    try:
        stylesheet = static("site/balai.css")
    except ValueError:
        stylesheet = ""
    with translation.override(language_from_cookie(request)):
        # no request context: the page needs no database (context processors read it)
        body = render_to_string(
            "429.html",
            {"wait_seconds": wait, "wait_minutes": (wait + 59) // 60, "STATIC_CSS": stylesheet},
        )
        response = HttpResponse(body, status=429)
        response["Content-Language"] = translation.get_language()
    response["Retry-After"] = str(wait)
    response["Cache-Control"] = "no-store"
    return response


def rate_limit(scope: str, *, methods=("GET", "HEAD", "POST"), when=None):
    """A view decorator: requests with a method in ``methods`` (and for which ``when(request)``
    is true, if given) count against ``scope``; over the limit the view is not called."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods and (when is None or when(request)):
                wait = retry_after(request, scope)
                if wait:
                    return too_many_response(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def has_query(request) -> bool:
    """A search was asked for (an empty box is a plain page, cheap and cached)."""
    return bool(request.GET.get("q", "").strip())
