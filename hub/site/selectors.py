"""Reads for villager pages: what is visible now, in the order villagers expect."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from hub.media.selectors import with_renditions

from .models import AgendaItem, Announcement


def announcements_visible(now=None) -> QuerySet[Announcement]:
    return with_renditions(Announcement.objects.visible(now), "thumb", "full", through="image")


def announcements_latest(limit: int = 5, now=None) -> list[Announcement]:
    return list(
        with_renditions(Announcement.objects.visible(now), "thumb", through="image")[:limit]
    )


def agenda_upcoming(limit: int | None = None, now=None) -> QuerySet[AgendaItem] | list:
    """Events not finished yet, soonest first (an event without an end is over once started)."""
    now = now or timezone.now()
    queryset = with_renditions(
        AgendaItem.objects.visible(now).filter(
            Q(ends_at__gte=now) | Q(ends_at__isnull=True, starts_at__gte=now)
        ),
        "thumb",
        "full",
        through="image",
    ).order_by("starts_at")
    return list(queryset[:limit]) if limit else queryset


def agenda_past(now=None) -> QuerySet[AgendaItem]:
    now = now or timezone.now()
    return with_renditions(
        AgendaItem.objects.visible(now).filter(
            Q(ends_at__lt=now) | Q(ends_at__isnull=True, starts_at__lt=now)
        ),
        "thumb",
        through="image",
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
