"""The page cache forgets the list of letter types when a type changes; the retention
schedule is made after migrations."""

from django.db.models.signals import post_delete, post_migrate, post_save

from hub.core import pagecache

from .models import LetterType
from .tasks import schedules_ensure


def _schedules(sender, **kwargs):
    if sender.name == "egov.letters":
        schedules_ensure()


post_migrate.connect(_schedules, weak=False, dispatch_uid="letters-schedules")
pagecache.invalidate_on_change(LetterType, signals=(post_save, post_delete))
