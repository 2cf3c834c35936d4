from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared utilities: page cache, health, system checks. No domain logic."""

    name = "hub.core"
    label = "core"
    verbose_name = "Balai core"

    def ready(self):
        from . import checks  # noqa: F401
