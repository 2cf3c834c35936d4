"""Admin registration: announcements and agenda as snippets."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import AgendaItem, Announcement

NOTICE_PANELS = [
    FieldPanel("title"),
    FieldPanel("category"),
    FieldPanel("body"),
    FieldPanel("image"),
    FieldRowPanel([FieldPanel("publish_at"), FieldPanel("expires_at")]),
    FieldPanel("pinned"),
]


class AnnouncementViewSet(SnippetViewSet):
    model = Announcement
    icon = "info-circle"
    menu_label = _("Pengumuman")
    list_display = ["title", "category", "publish_at", "expires_at", "pinned"]
    list_filter = ["category", "pinned"]
    search_fields = ["title"]
    ordering = ["-pinned", "-publish_at"]
    panels = NOTICE_PANELS


class AgendaItemViewSet(SnippetViewSet):
    model = AgendaItem
    icon = "date"
    menu_label = _("Agenda kegiatan")
    list_display = ["title", "starts_at", "place", "category"]
    list_filter = ["category"]
    search_fields = ["title", "place"]
    ordering = ["-starts_at"]
    panels = [
        FieldPanel("title"),
        FieldPanel("category"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
                FieldPanel("place"),
            ],
            heading=_("Waktu dan tempat"),
        ),
        FieldPanel("body"),
        FieldPanel("image"),
        FieldRowPanel([FieldPanel("publish_at"), FieldPanel("expires_at")]),
        FieldPanel("pinned"),
    ]


class VillageNewsGroup(SnippetViewSetGroup):
    items = (AnnouncementViewSet, AgendaItemViewSet)
    menu_icon = "home"
    menu_label = _("Kabar desa")
    menu_name = "kabar-desa"


register_snippet(VillageNewsGroup)


@hooks.register("before_delete_snippet")
def refuse_deleting_others_records(request, instances):
    """A synced notice from the upstream is deleted there, not on the village hub."""
    foreign = [obj for obj in instances if not getattr(obj, "is_local", True)]
    if foreign:
        messages.error(
            request,
            _("%(title)s berasal dari %(origin)s dan hanya dapat dihapus di sana.")
            % {"title": foreign[0], "origin": foreign[0].origin},
        )
        return redirect(request.META.get("HTTP_REFERER") or "wagtailadmin_home")
    return None
