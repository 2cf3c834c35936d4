"""Template context every villager page needs: the village and the main menu."""

from wagtail.models import Page

from hub.core.pagecache import per_generation
from hub.media.selectors import with_renditions

from .models import VillageSettings


def village(request):
    if request.path.startswith("/admin/"):
        return {}
    return {
        "village": per_generation("village", _village),
        "menu_pages": per_generation("menu", _menu_pages),
    }


def _village():
    settings = VillageSettings.objects.select_related("logo")
    return with_renditions(settings, "logo", through="logo").first() or VillageSettings()


def _menu_pages():
    return [
        (page.title, page.url)
        for page in Page.objects.live().public().in_menu().filter(depth=3).order_by("path")
    ]
