"""Talking to Kiwix's own programs, each as a separate process (they are GPL; Balai links none).

- kiwix-serve over HTTP on 127.0.0.1: its OPDS catalog (``/catalog/v2/entries``) and its
  full-text search (``/search?pattern=…&format=xml``, an RSS feed), parsed with defusedxml;
- kiwix-manage as a command: it reads a ZIM's metadata into the library XML kiwix-serve watches
  (``--library --monitorLibrary``).

kiwix-serve is started by ``scripts/run`` or its systemd unit with ``--urlRootLocation
/pustaka``, so every link it returns already points under the hub's /pustaka/.
"""

import logging
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import urllib3
from defusedxml import ElementTree
from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

ROOT_LOCATION = "/pustaka"
ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
MANAGE_TIMEOUT = 120
# kiwix-serve answers from memory; a catalog or a search that takes longer is a hung server
API_TIMEOUT = urllib3.Timeout(connect=2.0, read=10.0)

_pool = urllib3.PoolManager(num_pools=2, maxsize=4, retries=False)


class KiwixUnavailable(Exception):
    """kiwix-serve did not answer (not installed, not started, crashed, hung)."""


class KiwixToolMissing(Exception):
    """A program of kiwix-tools is not installed on this machine."""


@dataclass(frozen=True)
class CatalogEntry:
    """One archive as kiwix-serve's OPDS catalog describes it."""

    uuid: str
    name: str  # the archive's name in kiwix-serve's URLs: /pustaka/<name>/
    title: str
    summary: str
    language: str
    article_count: int
    media_count: int
    url: str


@dataclass(frozen=True)
class SearchHit:
    title: str
    url: str
    # the snippet as (text, highlighted) pieces: kiwix-serve marks matches with <b>
    snippet: list[tuple[str, bool]] = field(default_factory=list)
    book: str = ""


@dataclass(frozen=True)
class SearchPage:
    total: int
    hits: list[SearchHit]


def _get(path: str, params: dict | None = None) -> urllib3.BaseHTTPResponse:
    url = settings.LIBRARY_KIWIX_URL + ROOT_LOCATION + path
    if params:
        url += "?" + urlencode(params)
    try:
        return _pool.request("GET", url, timeout=API_TIMEOUT, redirect=False)
    except urllib3.exceptions.HTTPError as exc:
        raise KiwixUnavailable(str(exc)) from exc


def _text(node, tag: str) -> str:
    found = node.find(tag)
    return (found.text or "").strip() if found is not None and found.text else ""


def _int(node, tag: str) -> int:
    try:
        return int(_text(node, tag) or 0)
    except ValueError:
        return 0


def catalog_entries() -> list[CatalogEntry]:
    """Every archive kiwix-serve serves now, from its OPDS catalog."""
    response = _get("/catalog/v2/entries", {"count": "-1"})
    if response.status != 200:
        raise KiwixUnavailable(f"catalog answered {response.status}")
    try:
        feed = ElementTree.fromstring(response.data)
    except ElementTree.ParseError as exc:
        raise KiwixUnavailable(f"catalog is not XML: {exc}") from exc
    entries = []
    for entry in feed.iter(f"{ATOM}entry"):
        url = ""
        for link in entry.iter(f"{ATOM}link"):
            if link.get("type") == "text/html":
                url = link.get("href", "")
        name = url.rstrip("/").rsplit("/", 1)[-1] if url else ""
        entries.append(
            CatalogEntry(
                uuid=_text(entry, f"{ATOM}id").removeprefix("urn:uuid:"),
                name=name,
                title=_text(entry, f"{ATOM}title"),
                summary=_text(entry, f"{ATOM}summary"),
                language=_text(entry, f"{ATOM}language"),
                article_count=_int(entry, f"{ATOM}articleCount"),
                media_count=_int(entry, f"{ATOM}mediaCount"),
                url=url,
            )
        )
    return entries


def _snippet(description) -> list[tuple[str, bool]]:
    if description is None:
        return []
    pieces = [(description.text or "", False)]
    for child in description:
        pieces.append(("".join(child.itertext()), child.tag == "b"))
        pieces.append((child.tail or "", False))
    return [(text, bold) for text, bold in pieces if text]


def search(pattern: str, *, start: int = 0, count: int = 20, book: str = "") -> SearchPage:
    """Full-text search over every archive (or the one named ``book``), results ``start`` to
    ``start + count`` (0-based; kiwix-serve counts from 1)."""
    params = {"pattern": pattern, "format": "xml", "start": start + 1, "pageLength": count}
    if book:
        params["content"] = book
    response = _get("/search", params)
    if response.status == 400:
        # kiwix-serve's "no such book" or "this archive has no full-text index": no results
        logger.info("library: kiwix-serve refused a search: %s", response.data[:300])
        return SearchPage(total=0, hits=[])
    if response.status != 200:
        raise KiwixUnavailable(f"search answered {response.status}")
    try:
        rss = ElementTree.fromstring(response.data)
    except ElementTree.ParseError as exc:
        raise KiwixUnavailable(f"search result is not XML: {exc}") from exc
    channel = rss.find("channel")
    if channel is None:
        return SearchPage(total=0, hits=[])
    hits = [
        SearchHit(
            title=_text(item, "title"),
            url=_text(item, "link"),
            snippet=_snippet(item.find("description")),
            book=_text(item, "book/title"),
        )
        for item in channel.iter("item")
    ]
    return SearchPage(total=_int(channel, f"{OPENSEARCH}totalResults"), hits=hits)


def _program(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise KiwixToolMissing(
            _("Program %(name)s tidak terpasang: pasang paket Debian kiwix-tools.") % {"name": name}
        )
    return found


def manage_add(library_xml: Path, zim: Path) -> None:
    """Add ``zim`` to ``library_xml`` with kiwix-manage (which opens it with libzim, in its own
    process: a file that passed Balai's checks but that libzim cannot open stops here)."""
    try:
        result = subprocess.run(
            [_program("kiwix-manage"), str(library_xml), "add", str(zim)],
            capture_output=True,
            text=True,
            timeout=MANAGE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ValueError(
            _("kiwix-manage tidak selesai membaca %(name)s dalam %(seconds)d detik.")
            % {"name": zim.name, "seconds": MANAGE_TIMEOUT}
        ) from exc
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise ValueError(
            _("kiwix-manage menolak %(name)s: %(detail)s")
            % {"name": zim.name, "detail": detail[-1] if detail else result.returncode}
        )
