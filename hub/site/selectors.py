"""Reads for villager pages: what is visible now, in the order villagers expect."""

from dataclasses import dataclass

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


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "page", "announcement" or "agenda"
    title: str
    url: str
    summary: str  # plain text or rich text; templates strip tags


def search_public(query: str) -> list[SearchHit]:
    """Everything a villager can see that matches: pages, announcements, agenda items.

    Wagtail's database backend (SQLite FTS5 on the hub) ranks within each kind; pages come
    first, then announcements and events by relevance.
    """
    from wagtail.models import Page

    from .models import AgendaIndexPage, AnnouncementIndexPage

    now = timezone.now()
    announcement_index = AnnouncementIndexPage.objects.live().first()
    agenda_index = AgendaIndexPage.objects.live().first()
    hits = [
        SearchHit("page", page.title, page.url, getattr(page, "search_description", ""))
        for page in Page.objects.live().public().specific().search(query)[:SEARCH_LIMIT_PER_KIND]
    ]
    if announcement_index:
        hits += [
            SearchHit("announcement", a.title, f"{announcement_index.url}{a.url_part}/", a.body)
            for a in Announcement.objects.visible(now).search(query)[:SEARCH_LIMIT_PER_KIND]
        ]
    if agenda_index:
        hits += [
            SearchHit("agenda", e.title, f"{agenda_index.url}{e.url_part}/", e.body)
            for e in AgendaItem.objects.visible(now).search(query)[:SEARCH_LIMIT_PER_KIND]
        ]
    return hits
