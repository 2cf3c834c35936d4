from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared parts, no domain logic: region codes, personal data (validation, masking, the
    encrypted field), page cache, health, system checks."""

    name = "hub.core"
    label = "core"
    verbose_name = "Balai core"

    def ready(self):
        from . import checks  # noqa: F401
