"""Reads for villager pages: what is visible now, in the order villagers expect."""

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from .images import rendition_filters
from .models import AgendaItem, Announcement, BalaiImage


def _with_images(queryset: QuerySet, *sizes: str) -> QuerySet:
    filters = [f for size in sizes for f in rendition_filters(size)]
    return queryset.prefetch_related(
        Prefetch("image", queryset=BalaiImage.objects.prefetch_renditions(*filters))
    )


def announcements_visible(now=None) -> QuerySet[Announcement]:
    return _with_images(Announcement.objects.visible(now), "thumb", "full")


def announcements_latest(limit: int = 5, now=None) -> list[Announcement]:
    return list(_with_images(Announcement.objects.visible(now), "thumb")[:limit])


def agenda_upcoming(limit: int | None = None, now=None) -> QuerySet[AgendaItem] | list:
    """Events not finished yet, soonest first (an event without an end is over once started)."""
    now = now or timezone.now()
    queryset = _with_images(
        AgendaItem.objects.visible(now).filter(
            Q(ends_at__gte=now) | Q(ends_at__isnull=True, starts_at__gte=now)
        ),
        "thumb",
        "full",
    ).order_by("starts_at")
    return list(queryset[:limit]) if limit else queryset


def agenda_past(now=None) -> QuerySet[AgendaItem]:
    now = now or timezone.now()
    return _with_images(
        AgendaItem.objects.visible(now).filter(
            Q(ends_at__lt=now) | Q(ends_at__isnull=True, starts_at__lt=now)
        ),
        "thumb",
    ).order_by("-starts_at")


MAX_QUERY_LENGTH = 100
SEARCH_LIMIT_PER_KIND = 50


def search_public(query: str) -> list:
    """Everything a villager can see that matches: pages, announcements, agenda items.

    Wagtail's database backend (SQLite FTS5 on the hub) ranks within each kind; pages come
    first, then announcements and events by relevance.
    """
    from wagtail.models import Page

    now = timezone.now()
    pages = Page.objects.live().public().specific().search(query)[:SEARCH_LIMIT_PER_KIND]
    announcements = Announcement.objects.visible(now).search(query)[:SEARCH_LIMIT_PER_KIND]
    agenda = AgendaItem.objects.visible(now).search(query)[:SEARCH_LIMIT_PER_KIND]
    results = [
        SearchHit("page", p.title, p.url, getattr(p, "search_description", "")) for p in pages
    ]
    results += [
        SearchHit("announcement", a.title, a.get_absolute_url(), a.body) for a in announcements
    ]
    results += [SearchHit("agenda", e.title, e.get_absolute_url(), e.body) for e in agenda]
    return results


class SearchHit:
    __slots__ = ("kind", "title", "url", "summary")

    def __init__(self, kind: str, title: str, url: str, summary: str):
        self.kind = kind
        self.title = title
        self.url = url
        self.summary = summary
