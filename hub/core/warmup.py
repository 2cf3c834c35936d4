"""Warm a preloaded gunicorn master so its workers share what it loaded.

A worker forked from the master shares the master's memory until it writes to it. Loading the
URL resolver, the templates villagers see and the translation catalogues once in the master,
then freezing the garbage collector (whose passes would otherwise write to every object and
copy every page), keeps those pages shared: on a 512 MB Pi Zero that is the difference between
fitting and swapping.
"""

import gc
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


def warm_up_and_freeze() -> None:
    from django.conf import settings
    from django.db import connections
    from django.template import loader
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 - builds the resolver
    for name in VILLAGER_TEMPLATES:
        loader.get_template(name)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Beranda")
    # Nothing opened here may be shared with the workers.
    connections.close_all()
    gc.collect()
    gc.freeze()
    logger.info("master warmed up; %d objects frozen", gc.get_freeze_count())
