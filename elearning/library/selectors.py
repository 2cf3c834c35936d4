"""Reads of the offline library: what kiwix-serve serves (its catalog, briefly cached) and
searches in it."""

import json
from dataclasses import dataclass

from django.core.cache import cache

from hub.core import pagecache

from . import kiwix
from .services import STATE_FILE, library_dir

CATALOG_CACHE_KEY = "elearning-library:catalog"
CATALOG_CACHE_SECONDS = 30

# ISO 639-3 codes of ZIM metadata, named in the language itself
LANGUAGE_NAMES = {
    "ind": "Bahasa Indonesia",
    "eng": "English",
    "jav": "Basa Jawa",
    "sun": "Basa Sunda",
    "msa": "Bahasa Melayu",
    "zlm": "Bahasa Melayu",
    "min": "Baso Minang",
    "ara": "العربية",
}


@dataclass(frozen=True)
class Archive:
    entry: kiwix.CatalogEntry
    size: int | None

    @property
    def languages(self) -> str:
        codes = [c.strip() for c in self.entry.language.split(",") if c.strip()]
        return ", ".join(LANGUAGE_NAMES.get(code, code) for code in codes)


def library_has_archives() -> bool:
    """Whether any archive passed the checks (from the scan's state file: no network)."""
    return bool(_scanned_names(library_dir()))


@dataclass(frozen=True)
class Catalog:
    """What kiwix-serve serves now. ``settled`` is false while it still serves another set of
    archives than the last scan wrote (it reloads ``library.xml`` a few seconds after a scan):
    such a catalog is shown, but neither it nor a page made from it may be cached."""

    archives: list[Archive]
    settled: bool


def _scanned_names(folder) -> set[str] | None:
    """The names (``tani`` for ``tani.zim``) the last scan gave kiwix-serve to serve, or None
    before any scan."""
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        return {row[0].removesuffix(".zim") for row in state["library"]}
    except (FileNotFoundError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def archives_list() -> Catalog:
    """The archives kiwix-serve serves, with their sizes on disk. Raises
    :class:`kiwix.KiwixUnavailable` when it does not answer (never cached)."""
    folder = library_dir()
    # keyed by the page-cache generation, which a scan that changes the library moves
    key = f"{CATALOG_CACHE_KEY}:{pagecache.generation()}"
    entries = cache.get(key)
    settled = True
    if entries is None:
        entries = kiwix.catalog_entries()
        scanned = _scanned_names(folder)
        settled = scanned is None or scanned == {entry.name for entry in entries}
        if settled:
            cache.set(key, entries, CATALOG_CACHE_SECONDS)
    archives = []
    for entry in sorted(entries, key=lambda e: e.title.casefold()):
        try:
            size = (folder / f"{entry.name}.zim").stat().st_size if entry.name else None
        except OSError:
            size = None
        archives.append(Archive(entry=entry, size=size))
    return Catalog(archives=archives, settled=settled)


def library_search(*, query: str, start: int, count: int, book: str = "") -> kiwix.SearchPage:
    return kiwix.search(query, start=start, count=count, book=book)
