"""Villager-facing views outside the page tree: search, language, offline/PWA, error pages."""

import hashlib

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseNotFound, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from hub.core.disk import disk_full_exception, disk_full_response
from hub.core.ratelimit import has_query, rate_limit

from .models import VillageSettings
from .selectors import MAX_QUERY_LENGTH, search_public

SEARCH_PAGE_SIZE = 10


@require_safe
@rate_limit("search", when=has_query)
def search(request):
    query = request.GET.get("q", "").strip()
    error = ""
    results = None
    if len(query) > MAX_QUERY_LENGTH:
        error = _("Kata kunci terlalu panjang (paling banyak %(max)d huruf).") % {
            "max": MAX_QUERY_LENGTH
        }
    elif query:
        results = Paginator(search_public(query), SEARCH_PAGE_SIZE).get_page(
            request.GET.get("halaman")
        )
    return render(
        request,
        "site/search.html",
        {"query": query[:MAX_QUERY_LENGTH], "results": results, "error": error},
        status=400 if error else 200,
    )


@never_cache
@require_safe
def language_switch(request, code):
    """Switch language with a plain link (no form, so cached pages carry no CSRF token)."""
    if code not in dict(settings.LANGUAGES):
        return HttpResponseNotFound(_("Bahasa tidak tersedia."))
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        httponly=False,
    )
    return response


@require_safe
def offline(request):
    return render(request, "site/offline.html")


def _asset_version() -> str:
    """Changes whenever the stylesheet or the worker's template changes, so phones update."""
    source = loader.get_template("site/sw.js").template.source
    return hashlib.sha256(f"{static('site/balai.css')}{source}".encode()).hexdigest()[:12]


@require_safe
def service_worker(request):
    body = loader.render_to_string(
        "site/sw.js",
        {
            "version": _asset_version(),
            "offline_url": "/offline/",
            "precache": [
                "/offline/",
                static("site/balai.css"),
                static("site/icons/icon-192.png"),
            ],
        },
    )
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_safe
def manifest(request):
    village = VillageSettings.load(request_or_site=request)
    data = {
        "name": village.display_name,
        "short_name": (village.village_name or "Balai")[:12],
        "description": _("Layanan digital desa, juga tanpa internet"),
        "lang": get_language(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d5c3a",
        "icons": [
            {"src": static("site/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("site/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JsonResponse(
        data,
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    """Rendered without the database or context processors: the error may be the database.
    A full disk that failed outside a view (saving the session) gets the disk-full page."""
    if disk_full_exception():
        return disk_full_response(request)
    try:
        stylesheet = static("site/balai.css")
    except ValueError:  # the static manifest itself may be what is broken
        stylesheet = ""
    template = loader.get_template("500.html")
    return HttpResponse(template.render({"STATIC_CSS": stylesheet}), status=500)
