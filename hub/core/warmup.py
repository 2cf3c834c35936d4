"""Warm a preloaded gunicorn master (and the django-q2 cluster's process) so the processes
forked from it share what it loaded.

A worker forked from the master shares the master's memory until it writes to it. Loading the
URL resolver, the templates villagers see and the translation catalogues once in the master,
then freezing the garbage collector (whose passes would otherwise write to every object and
copy every page), keeps those pages shared: on a 512 MB Pi Zero that is the difference between
fitting and swapping.
"""

import gc
import importlib
import importlib.util
import logging

logger = logging.getLogger(__name__)

VILLAGER_TEMPLATES = [
    "base.html",
    "404.html",
    "500.html",
    "site/home_page.html",
    "site/announcement_index_page.html",
    "site/announcement_detail.html",
    "site/agenda_index_page.html",
    "site/agenda_detail.html",
    "site/profile_page.html",
    "site/search.html",
    "site/offline.html",
    "site/sw.js",
]

# Pages rendered once in the master before the workers are forked (see render_villager_pages).
WARM_UP_PATHS = ["/", "/pengumuman/", "/kegiatan/", "/pasar/"]


def warm_up_and_freeze() -> None:
    """For gunicorn's master (``when_ready``): what every request needs, then freeze."""
    from django.conf import settings
    from django.template import loader
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 - builds the resolver
    for name in VILLAGER_TEMPLATES:
        loader.get_template(name)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Beranda")
    render_villager_pages()
    freeze_before_fork("master")


def render_villager_pages() -> None:
    """Render the pages most villagers open, once, in this process. What the first request of
    each kind fills lazily (model metadata, the page tree's classes, block definitions, the
    included templates, compiled regular expressions) is then filled here, shared by every
    worker, instead of being built again in each worker's private memory. A failure (a
    database not yet migrated) costs nothing but the warm-up."""
    from django.conf import settings
    from django.test import Client

    host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h), "localhost")
    client = Client(HTTP_HOST=host.lstrip("."))
    for path in WARM_UP_PATHS:
        try:
            client.get(path)
        except Exception:  # noqa: BLE001 - warming is best effort, serving is not
            logger.warning("warm-up of %s failed", path, exc_info=True)


def warm_up_cluster_and_freeze() -> None:
    """For the django-q2 cluster's process, before it forks its workers (hub.core.cluster):
    import every app's task module (a worker would otherwise import
    them, and what they pull in — Pillow's codecs, the sync client — after the fork, once per
    worker and again after each recycle), then freeze."""
    from django.apps import apps

    for config in apps.get_app_configs():
        if importlib.util.find_spec(f"{config.name}.tasks") is not None:
            importlib.import_module(f"{config.name}.tasks")
    freeze_before_fork("cluster")


def freeze_before_fork(who: str) -> None:
    from django.db import connections

    # Nothing opened here may be shared with the forked processes.
    connections.close_all()
    gc.collect()
    gc.freeze()
    logger.info("%s warmed up; %d objects frozen", who, gc.get_freeze_count())
