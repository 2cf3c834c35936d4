"""Entries on the home page to Pasar, Layanan and Belajar.

The marketplace, e-government and e-learning apps register an entry in their
``AppConfig.ready()``; the home page shows an entry only once its ``has_content`` says so, so a
fresh hub never shows an empty market.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from hub.core import pagecache


@dataclass(frozen=True)
class HomeEntry:
    key: str
    label: str  # lazily translated
    description: str
    url_name: str
    has_content: Callable[[], bool]
    order: int = 100

    @property
    def url(self) -> str:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return ""


_registry: dict[str, HomeEntry] = {}


def register_home_entry(entry: HomeEntry) -> None:
    _registry[entry.key] = entry
    pagecache.forget("home_entries")


def unregister_home_entry(key: str) -> None:
    _registry.pop(key, None)
    pagecache.forget("home_entries")


def home_entries() -> list[HomeEntry]:
    """The entries to show, asked once per page-cache generation: what ``has_content`` looks
    at must invalidate the page cache when it changes (``pagecache.invalidate_on_change``), as
    anything a public page shows must."""
    return pagecache.per_generation("home_entries", _entries_with_content)


def _entries_with_content() -> list[HomeEntry]:
    shown = [e for e in _registry.values() if e.url and e.has_content()]
    return sorted(shown, key=lambda e: (e.order, e.key))
