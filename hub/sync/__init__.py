"""The sync engine: a library inside the project (docs/sync-protocol.md).

Public surface, the only modules domain apps import:

- :mod:`hub.sync.records`: ``SyncedRecord``, the abstract base of every record that travels
  (UUID, ``origin``, ``rev``; its ``clean()`` refuses edits of records another node owns);
- :mod:`hub.sync.registry`: ``register()`` from ``AppConfig.ready()``, ``FileAdapter``,
  ``records_applied``, ``received_from_origin()``, ``nodes_last_synced()``, ``spec_for()``.

Layers, lowest first; a module imports its own layer and those below, never above, and no
import (not even one inside a function) closes a cycle (``tests/sync/test_boundaries.py``):

0. ``core/`` (identity, specs, journal, errors, files, generation) and ``models.py``, the
   engine's tables;
1. ``records.py``, ``registry.py``: the public surface;
2. ``wire/``: records as NDJSON (codec), zstd pages (compression), node keys, signing (v1),
   httpsig (v2: RFC 9421 / RFC 9530);
3. ``blobs/``: the content-addressed store, Range serving, counting streams;
4. ``changes/``: journal to pages (feed), pages from another node applied (apply);
5. ``bundles/``: the signed file (container) and export/import through ``changes`` (exchange);
6. ``village/`` (the client: transport, run, budget, scheduling, pinning, probe, reseed) and
   ``upstream/`` (the ``/sync/v2/`` and ``/sync/v1/`` views, their services, enrollment,
   reseed), which never import each other;
7. ``admin/``: the admin's sync page;
8. the Django app's own modules: ``apps``, ``checks``, ``signal_handlers``, ``tasks`` (its
   dotted paths are stored in django-q2 schedules), ``urls``, ``wagtail_hooks``, ``management``.
"""
