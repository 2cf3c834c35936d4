"""The backend of Wagtail's background tasks (django-tasks): immediate, as Wagtail's default,
except while many records are being applied at once (a sync batch, a bundle page).

Wagtail indexes each saved object for search inline, and on PostgreSQL each single insert
recomputes title norms over the whole index: applying 1,500 synced records one by one took
longer than a gunicorn worker's timeout. Inside :func:`deferred_search_index` the search tasks
are collected instead and run once per model with the backend's bulk insert after the commit.
"""

import contextlib
import logging
import threading

from django.apps import apps
from django.db import transaction
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id

logger = logging.getLogger(__name__)

SEARCH_TASK = "modelsearch.tasks.insert_or_update_object_task"
_state = threading.local()


class HubTaskBackend(ImmediateBackend):
    def enqueue(self, task, args, kwargs):
        bucket = getattr(_state, "bucket", None)
        if bucket is None or task.module_path != SEARCH_TASK:
            return super().enqueue(task, args, kwargs)
        self.validate_task(task)
        app_label, model_name, pk = args
        bucket.setdefault((app_label, model_name), set()).add(pk)
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


def index_bulk(bucket: dict) -> None:
    from modelsearch.index import get_search_backends_with_name

    for (app_label, model_name), pks in bucket.items():
        model = apps.get_model(app_label, model_name)
        objects = list(model.get_indexed_objects().filter(pk__in=pks))
        if not objects:
            continue
        for name, backend in get_search_backends_with_name(with_auto_update=True):
            try:
                backend.add_bulk(model, objects)
            except Exception:
                logger.exception("bulk search indexing of %s in %s failed", model_name, name)


@contextlib.contextmanager
def deferred_search_index():
    """Collect search-index work in this block; index it in bulk once the transaction commits."""
    if getattr(_state, "bucket", None) is not None:
        yield  # nested: the outer block indexes
        return
    _state.bucket = bucket = {}
    try:
        yield
    finally:
        _state.bucket = None
    if bucket:
        transaction.on_commit(lambda: index_bulk(bucket))
