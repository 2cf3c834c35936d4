"""The backend of Wagtail's background tasks (django-tasks): immediate, as Wagtail's default,
except while many records are being applied at once (a sync batch, a bundle page).

Wagtail indexes each saved object for search and for references inline, and on PostgreSQL each
single search insert recomputes title norms over the whole index: applying 1,500 synced records
one by one took longer than a gunicorn worker's timeout. Inside :func:`deferred_index` those
tasks are collected instead and, once the transaction commits, handed to the django-q2 cluster
as one job that indexes each model in bulk.
"""

import contextlib
import logging
import threading

from django.apps import apps
from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id

logger = logging.getLogger(__name__)

SEARCH_TASK = "modelsearch.tasks.insert_or_update_object_task"
REFERENCE_TASK = "wagtail.tasks.update_reference_index_task"
_state = threading.local()


class HubTaskBackend(ImmediateBackend):
    def enqueue(self, task, args, kwargs):
        bucket = getattr(_state, "bucket", None)
        if bucket is None or task.module_path not in (SEARCH_TASK, REFERENCE_TASK):
            return super().enqueue(task, args, kwargs)
        self.validate_task(task)
        bucket.setdefault(task.module_path, []).append(list(args))
        return TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )


def defer_search_index(obj) -> None:
    """Inside :func:`deferred_index`: index ``obj`` later (for rows written without save())."""
    bucket = getattr(_state, "bucket", None)
    if bucket is not None:
        bucket.setdefault(SEARCH_TASK, []).append(
            [obj._meta.app_label, obj._meta.model_name, str(obj.pk)]
        )
        bucket.setdefault(REFERENCE_TASK, []).append(
            [obj._meta.app_label, obj._meta.model_name, str(obj.pk)]
        )


def deferred_index_task(bucket: dict) -> dict:
    """Search index in bulk per model, then references one object at a time."""
    from modelsearch.index import class_is_indexed, get_search_backends_with_name

    by_model: dict[tuple[str, str], set] = {}
    for app_label, model_name, pk in bucket.get(SEARCH_TASK, []):
        by_model.setdefault((app_label, model_name), set()).add(pk)
    indexed = 0
    for (app_label, model_name), pks in by_model.items():
        model = apps.get_model(app_label, model_name)
        if not class_is_indexed(model):
            continue  # a synced record that is not searchable (a category, a BUMDes)
        objects = list(model.get_indexed_objects().filter(pk__in=pks))
        for name, backend in get_search_backends_with_name(with_auto_update=True):
            try:
                if objects:
                    backend.add_bulk(model, objects)
            except Exception:
                logger.exception("bulk search indexing of %s in %s failed", model_name, name)
        indexed += len(objects)
    references = import_string(REFERENCE_TASK)
    seen = set()
    for args in bucket.get(REFERENCE_TASK, []):
        if tuple(args) not in seen:
            seen.add(tuple(args))
            references.call(*args)
    if indexed:
        # search pages rendered before the index knew these records are stale now
        from . import pagecache

        pagecache.invalidate()
    return {"indexed": indexed, "references": len(seen)}


@contextlib.contextmanager
def deferred_index(*, inline: bool = False):
    """Collect index work in this block; after the commit the cluster does it in bulk, or this
    process does (``inline``: the work is done when the commit returns, e.g. for a caller that
    answers only once the records can be found)."""
    if getattr(_state, "bucket", None) is not None:
        yield  # nested: the outer block hands the work over
        return
    _state.bucket = bucket = {}
    try:
        yield
    finally:
        _state.bucket = None
    if bucket:
        hand_over = deferred_index_task if inline else _hand_over
        transaction.on_commit(lambda: hand_over(bucket))


def _hand_over(bucket: dict) -> None:
    from django_q.tasks import async_task

    async_task("hub.core.tasks_backend.deferred_index_task", bucket, task_name="index-bulk")
