"""The villager's side of the offline library.

- ``/perpustakaan/``: Balai's own page, listing the archives and searching them through
  kiwix-serve, in the site's style, without JavaScript. It sets no cookie, so the anonymous
  page cache keeps it (a scan that changes the library moves the cache's generation), except
  in the seconds after a scan before kiwix-serve has reloaded the library.
- ``/pustaka/…``: kiwix-serve itself, proxied by the hub when no nginx is in front (scripts/run,
  a bare hub): GET and HEAD only, the path checked before anything is forwarded, the body
  streamed, timeouts on connect and read, an Indonesian page when kiwix-serve is down.
"""

import logging
import re
from urllib.parse import quote

import urllib3
from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from hub.core.ratelimit import has_query, rate_limit

from . import kiwix, selectors

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
MAX_QUERY_LENGTH = 100
MAX_PAGE = 50
MAX_PATH_LENGTH = 2048
STREAM_CHUNK = 64 * 1024
# RFC 3986's sub-delims and ':' '@' stay as they are in a path; '%' does not (see below)
PATH_SAFE = "/:@!$&'()*+,;=~"
BOOK_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
# What a browser may ask of kiwix-serve beyond the path: ranges (video in a ZIM) and revalidation.
FORWARDED_REQUEST_HEADERS = ("Range", "If-Range", "If-None-Match", "If-Modified-Since")
PASSED_RESPONSE_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Content-Range",
    "Accept-Ranges",
    "ETag",
    "Last-Modified",
    "Cache-Control",
    "Location",
)
# Archives are other people's HTML (Wikipedia's pages carry inline styles and scripts). They
# run sandboxed, in an origin of their own, so a hostile archive's script can neither read the
# hub's cookies nor act in the admin as the official who opens an article.
LIBRARY_CSP = (
    "sandbox allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox; "
    "default-src 'self'; img-src 'self' data:; media-src 'self'; "
    "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'self'; form-action 'self'"
)

_pool = urllib3.PoolManager(num_pools=2, maxsize=8, retries=False)


class _CountPaginator(Paginator):
    """A paginator over results kiwix-serve pages itself (it gives the total and one page)."""

    def __init__(self, total: int):
        super().__init__(range(total), PAGE_SIZE)


def _page_number(raw: str) -> int:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def _index_unavailable(request, context: dict, exc: Exception):
    logger.warning("library: kiwix-serve unavailable: %s", exc)
    context["unavailable"] = True
    response = render(request, "elearning_library/index.html", context, status=503)
    response["Retry-After"] = "30"
    return response


@require_safe
@rate_limit("search", when=has_query)
def index(request):
    query = request.GET.get("q", "").strip()
    book = request.GET.get("arsip", "").strip()
    context = {"query": query[:MAX_QUERY_LENGTH], "book": book, "error": ""}
    status = 200
    try:
        catalog = selectors.archives_list()
    except kiwix.KiwixUnavailable as exc:
        return _index_unavailable(request, context, exc)
    archives = context["archives"] = catalog.archives
    if len(query) > MAX_QUERY_LENGTH:
        context["error"] = _("Kata kunci terlalu panjang (paling banyak %(max)d huruf).") % {
            "max": MAX_QUERY_LENGTH
        }
        status = 400
    elif book and not any(a.entry.name == book for a in archives):
        context["error"] = _("Arsip itu tidak ada di perpustakaan ini.")
        context["book"] = ""
        status = 400
    elif query and archives:
        number = _page_number(request.GET.get("halaman"))
        try:
            found = selectors.library_search(
                query=query, start=(number - 1) * PAGE_SIZE, count=PAGE_SIZE, book=book
            )
        except kiwix.KiwixUnavailable as exc:
            return _index_unavailable(request, context, exc)
        page = Page(found.hits, number, _CountPaginator(min(found.total, MAX_PAGE * PAGE_SIZE)))
        context.update(results=page, total=found.total)
    response = render(request, "elearning_library/index.html", context, status=status)
    if not catalog.settled:
        # kiwix-serve has not reloaded the scan's library yet: the next request asks again
        add_never_cache_headers(response)
    return response


def library_path_clean(path: str) -> str:
    """``path`` (after /pustaka/, percent-decoded) when it is safe to forward, else ValueError.

    Refused: ``.`` and ``..`` segments (whether sent plain or as %2e), empty segments,
    backslashes, control characters, over-long paths. What passes is quoted again before it is
    forwarded, so a %2e%2e sent encoded twice reaches kiwix-serve as the literal text.
    """
    if len(path) > MAX_PATH_LENGTH:
        raise ValueError("path too long")
    if "\\" in path or any(ord(c) < 32 or ord(c) == 127 for c in path):
        raise ValueError("backslash or control character")
    segments = path.split("/")
    # a trailing slash is fine (kiwix-serve redirects /pustaka/<book>/ to its main page)
    if segments and segments[-1] == "":
        segments = segments[:-1]
    for segment in segments:
        if segment in ("", ".", ".."):
            raise ValueError("empty, . or .. segment")
    return path


def _unavailable(request) -> HttpResponse:
    response = render(request, "elearning_library/unavailable.html", status=503)
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response


def _stream(upstream):
    try:
        yield from upstream.stream(STREAM_CHUNK, decode_content=False)
    except urllib3.exceptions.HTTPError as exc:
        # the headers are gone already: the client sees a short body, the log says why
        logger.warning("library: kiwix-serve stream broke off: %s", exc)
    finally:
        upstream.release_conn()


@csrf_exempt  # reads only: a POST gets a 405, not a CSRF failure
def pustaka(request, path: str = ""):
    """Forward a GET or HEAD under /pustaka/ to kiwix-serve and stream its answer back."""
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(
            _("Perpustakaan hanya bisa dibaca."), status=405, content_type="text/plain"
        )
        response["Allow"] = "GET, HEAD"
        return response
    if path == "":
        # kiwix-serve's own welcome page needs JavaScript; Balai's lists the same archives
        return HttpResponseRedirect(reverse("library:index"))
    try:
        library_path_clean(path)
    except ValueError as exc:
        logger.warning("library: refused path %r: %s", path[:200], exc)
        return HttpResponse(
            _("Alamat tidak sah."), status=400, content_type="text/plain; charset=utf-8"
        )
    quoted = quote(path, safe=PATH_SAFE)
    url = f"{settings.LIBRARY_KIWIX_URL}{kiwix.ROOT_LOCATION}/{quoted}"
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    headers = {
        name: request.headers[name] for name in FORWARDED_REQUEST_HEADERS if name in request.headers
    }
    try:
        upstream = _pool.request(
            request.method,
            url,
            headers=headers,
            redirect=False,
            preload_content=False,
            decode_content=False,
            timeout=urllib3.Timeout(connect=2.0, read=settings.LIBRARY_KIWIX_TIMEOUT),
        )
    except urllib3.exceptions.HTTPError as exc:
        logger.warning("library: kiwix-serve unavailable: %s", exc)
        return _unavailable(request)
    if request.method == "HEAD":
        upstream.release_conn()
        # streaming, so the anonymous page cache (keyed by path alone) never keeps an empty
        # body that a later GET would get
        response = StreamingHttpResponse(iter(()), status=upstream.status)
    else:
        response = StreamingHttpResponse(_stream(upstream), status=upstream.status)
    for name in PASSED_RESPONSE_HEADERS:
        if name in upstream.headers:
            response[name] = upstream.headers[name]
    if request.method == "HEAD" or upstream.status == 206 or "Range" in request.headers:
        # gzip would drop a HEAD's Content-Length, and break a part's Content-Range
        request.META.pop("HTTP_ACCEPT_ENCODING", None)
    response["Content-Security-Policy"] = LIBRARY_CSP
    return response
