"""Village hub (the default role): SQLite in WAL mode in the data directory."""

from .base import *  # noqa: F403
from .base import DATA_DIR, SILENCED_SYSTEM_CHECKS, env_int

ROOT_URLCONF = "hub.urls"

# WAL lets villagers read while the cluster writes; synchronous=NORMAL is safe with WAL (a power
# cut can lose the last commits, never corrupt the file); IMMEDIATE transactions take the write
# lock at BEGIN so two writers queue on the busy timeout instead of failing with
# "database is locked" when a read transaction tries to upgrade. Connections are kept between
# requests: opening one runs the PRAGMAs, re-reads the schema and starts with a cold page cache,
# which was half the time of an uncached catalogue page.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "db.sqlite3",
        "CONN_MAX_AGE": env_int("HUB_DB_CONN_MAX_AGE", 600),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("HUB_SQLITE_BUSY_SECONDS", 30),
            "init_command": (
                # takes effect on a new database (or at the next VACUUM): space freed by journal
                # compaction goes back to the disk in small steps (hub.sync.core.space)
                "PRAGMA auto_vacuum=INCREMENTAL;"
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA temp_store=MEMORY;"
                "PRAGMA cache_size=-8000;"
                "PRAGMA mmap_size=67108864;"
                "PRAGMA journal_size_limit=67108864;"
            ),
        },
    }
}

# Wagtail's database search backend, with UUID primary keys indexed the way SQLite stores them.
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "hub.core.search_sqlite"}}

# Never HSTS on a village (hub/settings/base.py: a certificate that expires during a long outage
# must not lock phones out of the hub), so check --deploy's advice to send it does not apply.
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W004"]
