"""Entries on the home page to Pasar, Layanan and Belajar.

The marketplace, e-government and e-learning apps register an entry in their
``AppConfig.ready()``; the home page shows an entry only once its ``has_content`` says so, so a
fresh hub never shows an empty market.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


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


def unregister_home_entry(key: str) -> None:
    _registry.pop(key, None)


def home_entries() -> list[HomeEntry]:
    shown = [e for e in _registry.values() if e.url and e.has_content()]
    return sorted(shown, key=lambda e: (e.order, e.key))
