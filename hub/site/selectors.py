"""Reads for villager pages: what is visible now, in the order villagers expect."""

from dataclasses import dataclass

from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from hub.core import pagecache
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


def next_time_change(queryset: QuerySet, fields: tuple[str, ...], now):
    """The earliest value of ``fields`` after ``now`` among the rows of ``queryset`` (None if
    there is none): until then no list of them filtered by time against the clock (published,
    expired, started, ended) can change unless a row is saved."""
    found = queryset.aggregate(**{f: Min(f, filter=Q(**{f"{f}__gt": now})) for f in fields})
    times = [t for t in found.values() if t is not None]
    return min(times) if times else None


def home_announcements(limit: int = 5) -> list[Announcement]:
    """:func:`announcements_latest` for the home page, remembered in this process until the
    page-cache generation moves (a notice saved, an image changed) or the clock reaches the
    next publication or expiry time of any announcement. Shared: read it, never change it."""

    def latest():
        now = timezone.now()
        until = next_time_change(Announcement.objects.all(), ("publish_at", "expires_at"), now)
        return announcements_latest(limit, now), until

    return pagecache.per_generation_until(f"home_announcements:{limit}", latest)


def home_agenda(limit: int = 3) -> list[AgendaItem]:
    """:func:`agenda_upcoming` for the home page, remembered like :func:`home_announcements`
    until the next publication, expiry, start or end of any event."""

    def upcoming():
        now = timezone.now()
        fields = ("publish_at", "expires_at", "starts_at", "ends_at")
        return agenda_upcoming(limit, now), next_time_change(AgendaItem.objects.all(), fields, now)

    return pagecache.per_generation_until(f"home_agenda:{limit}", upcoming)


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
