"""Deletions of synced records leave a tombstone and a journal row; local changes ask for a sync
soon (after the commit, through the cluster)."""

from django.db.models.signals import post_delete, post_migrate

from .core.journal import local_change_committed, record_deleted
from .records import SyncedRecord
from .village.scheduling import schedules_ensure, sync_soon


def _deleted(sender, instance, **kwargs):
    if isinstance(instance, SyncedRecord):
        record_deleted(instance)


post_delete.connect(_deleted, weak=False, dispatch_uid="sync-record-deleted")


def _schedules(sender, **kwargs):
    if sender.name == "hub.sync":
        schedules_ensure()


post_migrate.connect(_schedules, weak=False, dispatch_uid="sync-schedules")


def _local_change(sender, **kwargs):
    sync_soon()


local_change_committed.connect(_local_change, weak=False, dispatch_uid="sync-soon")
