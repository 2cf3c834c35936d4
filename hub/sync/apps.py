from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyncConfig(AppConfig):
    """The sync engine: journal, push/pull, blobs, bundles, keys, scheduling.

    It imports no domain app: domain apps subclass :class:`hub.sync.records.SyncedRecord` and call
    :func:`hub.sync.registry.register` from their own ``AppConfig.ready()``.
    """

    name = "hub.sync"
    label = "sync"
    verbose_name = _("Sinkronisasi")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks, signal_handlers  # noqa: F401
