"""Middleware for villager-facing pages: the anonymous page cache and strict public headers."""

import copy
import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.http.request import split_domain_port
from django.middleware.gzip import GZipMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

from . import pagecache, ratelimit

# Paths never cached nor given the public page policy: the admin and machine endpoints.
PRIVATE_PREFIXES = ("/admin/", "/healthz", "/dokumen/", "/static/", "/media/", "/sync/")

# Villager pages load nothing from outside the hub; the policy makes that a browser-enforced rule.
PUBLIC_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class PublicPageHeadersMiddleware:
    """Adds a Content-Security-Policy to villager pages (not the admin, which needs its scripts)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(PRIVATE_PREFIXES):
            response.headers.setdefault("Content-Security-Policy", PUBLIC_CSP)
        return response


# What /media/ may be served as: pictures, sound, video, PDF and subtitles. Media holds files
# that came from villagers and other hubs; anything else (an HTML page, an SVG, a script a
# rooted village sent) is served as bytes to download, never as something a browser runs on
# this origin. ansible/roles/hub_nginx serves the same list when nginx is in front.
MEDIA_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/avif",
        "audio/mpeg",
        "audio/ogg",
        "audio/mp4",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "application/pdf",
        "text/vtt",
    }
)
MEDIA_CSP = "default-src 'none'; sandbox"


class MediaHeadersMiddleware:
    """Under ``MEDIA_URL``: a type from :data:`MEDIA_TYPES` only (else
    ``application/octet-stream`` as an attachment), ``X-Content-Type-Options: nosniff`` and a
    sandboxing Content-Security-Policy, whichever view served the file."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(settings.MEDIA_URL):
            return response
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if response.status_code in (200, 206) and kind not in MEDIA_TYPES:
            response.headers["Content-Type"] = "application/octet-stream"
            response.headers["Content-Disposition"] = "attachment"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = MEDIA_CSP
        return response


class AnonymousPageCacheMiddleware:
    """Serves GET pages to visitors without a session from memory.

    The key is (generation, language, gzip or not, path, the known query parameters sorted): the
    language comes from the cookie exactly as :class:`VillageLocaleMiddleware` picks it, and the
    generation moves when anything public is published (see :mod:`hub.core.pagecache`). Only
    200 responses that set no cookie are stored, so no CSRF token or session ever lands in the
    cache. Pages with a query string go to their own cache (``pages-query``), so they never
    push plain pages out; a query parameter no page reads (not in
    ``HUB_PAGE_CACHE_QUERY_PARAMS``) bypasses the cache and counts against the ``page-query``
    rate limit, so ``?x=1..N`` neither evicts pages nor buys unlimited uncached renders.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def _cacheable_request(self, request) -> bool:
        return (
            request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and not request.path.startswith(PRIVATE_PREFIXES)
        )

    def _key(self, request) -> str:
        language = language_from_cookie(request)
        gzip = "gz" if "gzip" in request.headers.get("Accept-Encoding", "") else "id"
        query = urlencode(sorted(request.GET.lists()), doseq=True)
        full = f"{request.path}?{query}" if query else request.path
        path = hashlib.sha256(full.encode()).hexdigest()[:32]
        return f"p:{pagecache.generation()}:{language}:{gzip}:{path}"

    def __call__(self, request):
        if not self._cacheable_request(request):
            return self.get_response(request)
        if not set(request.GET) <= settings.HUB_PAGE_CACHE_QUERY_PARAMS:
            wait = ratelimit.retry_after(request, "page-query")
            if wait:
                return ratelimit.too_many_response(request, wait)
            return self.get_response(request)
        key = self._key(request)
        cache = pagecache.cache(query=bool(request.GET))
        cached = cache.get(key)
        if cached is not None:
            cached.headers["X-Balai-Cache"] = "hit"
            return cached
        response = self.get_response(request)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "no-store" not in response.headers.get("Cache-Control", "")
        ):
            patch_vary_headers(response, ("Cookie", "Accept-Encoding"))
            cache.set(key, response)
            response.headers["X-Balai-Cache"] = "miss"
        return response


def language_from_cookie(request) -> str:
    """The villager's chosen language, else Bahasa Indonesia.

    Accept-Language is ignored on purpose: many villagers' phones are set to English while
    they read Indonesian best; English is a choice made with the switch, remembered in a cookie.
    """
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class VillageLocaleMiddleware:
    """Activates the language from the cookie (see :func:`language_from_cookie`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_from_cookie(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


class TextGZipMiddleware(GZipMiddleware):
    """Django's gzip, for text only: photos (WebP, JPEG) do not shrink, and compressing them
    costs a Pi's CPU on every request."""

    TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")
    TEXT_SUFFIXES = ("+xml", "+json")

    def process_response(self, request, response):
        if response.has_header("Content-Range"):
            # a byte range (hub.media.ranges) names bytes of the file, not of a gzip stream
            return response
        content_type = response.get("Content-Type", "").split(";")[0].strip()
        if not (
            content_type.startswith(self.TEXT_TYPES) or content_type.endswith(self.TEXT_SUFFIXES)
        ):
            return response
        return super().process_response(request, response)


# sites remembered per generation: one per host name and port a request may name
SITE_MEMO_MAX = 32


class WagtailSiteMiddleware:
    """Gives Wagtail the site of a villager page's request, with its root page in its specific
    class, from memory: looked up once per page-cache generation instead of two queries on
    every request.

    Wagtail reads ``request._wagtail_site`` before it asks the database for the site, then
    routes from ``site.root_page.localized.specific``. A site (hostname, port, root page)
    changes only through the admin, and a root page only by publishing: both move the
    generation (``hub.site.signal_handlers``). Each request gets its own copies of the
    remembered objects, so nothing a request sets on them reaches another request or thread.
    Only for requests Wagtail serves (its ``serve`` view, outside the admin): other views never
    asked for the site and do not start now. After ``CommonMiddleware``, which has refused
    hosts not in ``ALLOWED_HOSTS``.
    """

    def __init__(self, get_response):
        from wagtail.views import serve

        self.get_response = get_response
        self.wagtail_serve = serve

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if view_func is self.wagtail_serve and not request.path.startswith(PRIVATE_PREFIXES):
            request._wagtail_site = site_for_request(request)
        return None


def site_for_request(request):
    """The Wagtail site answering ``request`` as Wagtail finds it, its root page specific, as
    a copy of what this process remembers for the generation (None where no site matches)."""
    from wagtail.models import Site

    key = (split_domain_port(request.get_host())[0], request.get_port())
    sites = pagecache.per_generation("wagtail_sites", dict)
    found = sites.get(key)
    if found is None:
        site = Site.find_for_request(request)
        found = (site, site.root_page.specific if site is not None else None)
        if len(sites) >= SITE_MEMO_MAX:
            return site
        sites[key] = found
    site, root = found
    if site is None:
        return None
    site = copy.copy(site)
    site.root_page = copy.copy(root)
    return site
