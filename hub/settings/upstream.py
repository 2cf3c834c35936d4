"""Upstream (province/district server): PostgreSQL from the environment, more workers."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import Q_CLUSTER, env_int

# the province market under /pasar/ instead of the village shop
ROOT_URLCONF = "hub.urls_upstream"

if not os.environ.get("HUB_DB_NAME"):
    raise ImproperlyConfigured(
        "The upstream role needs PostgreSQL: set HUB_DB_NAME (and HUB_DB_USER, HUB_DB_PASSWORD, "
        "HUB_DB_HOST, HUB_DB_PORT as needed)."
    )

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["HUB_DB_NAME"],
        "USER": os.environ.get("HUB_DB_USER", ""),
        "PASSWORD": os.environ.get("HUB_DB_PASSWORD", ""),
        "HOST": os.environ.get("HUB_DB_HOST", ""),
        "PORT": os.environ.get("HUB_DB_PORT", ""),
        "CONN_MAX_AGE": env_int("HUB_DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
    }
}

Q_CLUSTER = {**Q_CLUSTER, "workers": env_int("HUB_Q_WORKERS", 4)}
