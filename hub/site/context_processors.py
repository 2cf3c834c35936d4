"""Template context every villager page needs: the village and the main menu."""

from wagtail.models import Page

from .models import VillageSettings


def village(request):
    if request.path.startswith("/admin/"):
        return {}
    return {
        "village": VillageSettings.load(request_or_site=request),
        "menu_pages": _menu_pages(),
    }


def _menu_pages():
    return Page.objects.live().public().in_menu().filter(depth=3).order_by("path")
