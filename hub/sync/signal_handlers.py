"""Deletions of synced records leave a tombstone and a journal row; local changes ask for a sync
soon (after the commit, through the cluster)."""

from django.db.models.signals import post_delete, post_migrate

from .journal import record_deleted
from .records import SyncedRecord


def _deleted(sender, instance, **kwargs):
    if isinstance(instance, SyncedRecord):
        record_deleted(instance)


post_delete.connect(_deleted, weak=False, dispatch_uid="sync-record-deleted")


def _schedules(sender, **kwargs):
    if sender.name == "hub.sync":
        from .scheduling import schedules_ensure

        schedules_ensure()


post_migrate.connect(_schedules, weak=False, dispatch_uid="sync-schedules")
