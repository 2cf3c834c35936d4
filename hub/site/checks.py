"""System checks of the village site."""

from django.core.checks import Warning, register
from django.db import DatabaseError

from hub.core.roles import is_upstream


@register(deploy=True)
def village_code_check(app_configs, **kwargs):
    if is_upstream():
        return []
    from .models import VillageSettings

    try:
        code = VillageSettings.load().village_code
    except DatabaseError:  # not migrated yet
        return []
    if not code:
        return [
            Warning(
                "This village hub has no village code yet.",
                hint="Run: manage.py village_set_code PP.KK.CC.DDDD",
                id="balai.W002",
            )
        ]
    return []
