"""Wagtail's database search backend on SQLite, made to work with UUID primary keys.

The SQLite backend stores each object's id in the index as ``str(pk)`` (a UUID with dashes)
but matches it against the primary key column, where Django keeps a UUID as 32 hex digits on
SQLite: every search over a UUID-keyed model (announcements, agenda, and every synced record
to come) found nothing. Indexing UUIDs as 32 hex digits makes both sides agree, and matches
what the backend's own stale-entry cleanup computes (``Cast(pk, TextField())``). PostgreSQL
casts UUIDs with dashes, so the upstream keeps the stock backend.
"""

import uuid

from django.utils.functional import cached_property
from modelsearch.backends.database.sqlite import sqlite as _sqlite


class UUIDHexObjectIndexer(_sqlite.ObjectIndexer):
    @cached_property
    def id(self):
        pk = self.obj.pk
        if isinstance(pk, uuid.UUID):
            return pk.hex
        return super().id


# The index builds its indexers through this module-level name.
_sqlite.ObjectIndexer = UUIDHexObjectIndexer

SearchBackend = _sqlite.SQLiteSearchBackend
