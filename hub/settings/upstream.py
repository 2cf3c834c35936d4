"""Upstream (province/district server): PostgreSQL from the environment, more workers."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import HUB_HTTPS, Q_CLUSTER, SILENCED_SYSTEM_CHECKS, env_bool, env_int

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

# HSTS on the upstream only, and only when it is served over HTTPS (HUB_HTTPS=1): its certificate
# is an ordinary one renewed in a data centre. Never on a village (hub/settings/base.py). Not for
# subdomains: villages may be named under the province's domain (HUB_TLS_NAME_PATTERN
# ``{code}.<province domain>``), and a policy there must not reach them; preloading is the
# operator's decision for the whole domain.
SECURE_HSTS_SECONDS = env_int("HUB_HSTS_SECONDS", 31_536_000) if HUB_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HUB_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("HUB_HSTS_PRELOAD", False)
# check --deploy advises both; they are left to the operator on purpose (above)
SILENCED_SYSTEM_CHECKS = [
    *SILENCED_SYSTEM_CHECKS,
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
