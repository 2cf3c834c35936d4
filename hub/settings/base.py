"""Settings shared by both roles. Production values come from the environment.

The code tree is read-only on a hub: everything that changes (database, media, blobs, keys, the
secret key, collected static files) lives in ``HUB_DATA_DIR``.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def read_secret_key() -> str:
    """The secret key from ``HUB_SECRET_KEY`` or the file named by ``HUB_SECRET_KEY_FILE``.

    A missing key is a startup error: a random key per process would log everyone out on every
    restart and break signed values between gunicorn workers and the cluster.
    """
    key = os.environ.get("HUB_SECRET_KEY", "").strip()
    key_file = os.environ.get("HUB_SECRET_KEY_FILE", "").strip()
    if not key and key_file:
        try:
            key = Path(key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"HUB_SECRET_KEY_FILE={key_file} cannot be read: {exc.strerror}."
            ) from exc
    if not key:
        raise ImproperlyConfigured(
            "No secret key: set HUB_SECRET_KEY or HUB_SECRET_KEY_FILE "
            "(scripts/run makes one in the data directory; Ansible renders one per host)."
        )
    if len(key) < 32:
        raise ImproperlyConfigured("The secret key is shorter than 32 characters.")
    return key


HUB_ROLE = os.environ.get("HUB_ROLE", "village")
DATA_DIR = Path(os.environ.get("HUB_DATA_DIR", BASE_DIR / "data")).resolve()

SECRET_KEY = read_secret_key()
DEBUG = env_bool("HUB_DEBUG", False)
ALLOWED_HOSTS = env_list("HUB_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "balai.lan"])
CSRF_TRUSTED_ORIGINS = env_list("HUB_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "hub.core",
    "hub.media",
    "hub.site",
    "hub.sync",
    "hub.stats",
    "marketplace",
    "elearning.library",
    "egov.services",
    "egov.documents",
    "egov.letters",
    "elearning.courses",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.table_block",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_q",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.syndication",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hub.core.middleware.MediaHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hub.core.middleware.PublicPageHeadersMiddleware",
    "hub.core.middleware.AnonymousPageCacheMiddleware",
    "hub.core.middleware.TextGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hub.core.middleware.VillageLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # innermost: a view that fails on a full disk answers 507 with a message, not a 500
    "hub.core.disk.DiskFullMiddleware",
]

WSGI_APPLICATION = "hub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "hub" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
                "hub.site.context_processors.village",
            ],
        },
    },
]

# Passwords: Django's default (PBKDF2) is slow on a Pi but that is the point of it.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Language: Bahasa Indonesia first, English second.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "hub" / "locale"]
LANGUAGE_COOKIE_NAME = "balai_bahasa"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = os.environ.get("HUB_TIME_ZONE", "Asia/Jakarta")
USE_I18N = True
USE_TZ = True
WAGTAILADMIN_PERMITTED_LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]

# Files. Static files are collected into the data dir (the code tree stays read-only) and served
# compressed with hashed names by whitenoise; nginx serves them directly when provisioned.
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "hub" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # The sync engine's content-addressed blobs; an S3-compatible storage can replace it upstream.
    "sync_blobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "blobs"), "base_url": None},
    },
}
WHITENOISE_MAX_AGE = 3600
# Without nginx in front (scripts/run, a bare hub) Django serves media itself; Ansible turns this
# off where nginx serves /media/ directly.
HUB_SERVE_MEDIA = env_bool("HUB_SERVE_MEDIA", True)
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
# Request bodies: forms stay small; image uploads are checked against WAGTAILIMAGES_* below.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches: rendered anonymous pages live in each worker's memory, keyed by a generation that
# publishing bumps (hub.core.pagecache), so both gunicorn workers drop stale pages at once.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "balai-default",
    },
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "balai-pages",
        "TIMEOUT": env_int("HUB_PAGE_CACHE_SECONDS", 300),
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
    # pages with a query string (search results, page 2 of a list) apart from the plain pages,
    # so a client asking for ?q=1..N cannot push the home page and the catalogue out
    "pages-query": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "balai-pages-query",
        "TIMEOUT": env_int("HUB_PAGE_CACHE_SECONDS", 300),
        "OPTIONS": {"MAX_ENTRIES": 300},
    },
    # hub.core.ratelimit's counters (per worker: see there)
    "ratelimit": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "balai-ratelimit",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}
# The query parameters public pages read (catalogues, search, lists, statistics). A GET with any
# other parameter is neither served from nor stored in the page cache, and counts against the
# "page-query" rate limit: ?x=1..N cannot evict real pages nor make the hub render for free.
HUB_PAGE_CACHE_QUERY_PARAMS = frozenset(
    {
        "q",
        "halaman",
        "kategori",
        "tahun",
        "jenis",
        "wilayah",
        "arsip",
        "indikator",
        "periode",
        "tingkat",
        "kabupaten",
        "desa",
        "format",
        "kode",
        "next",
        "anjungan",
    }
)
HUB_PAGE_CACHE_GENERATION_FILE = DATA_DIR / "cache" / "pages.generation"

# Sessions and cookies.
SESSION_COOKIE_NAME = "balai_sesi"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("HUB_HTTPS", False)
CSRF_COOKIE_SECURE = env_bool("HUB_HTTPS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# nginx in front: it sets X-Forwarded-Proto and appends the client to X-Forwarded-For
HUB_BEHIND_PROXY = env_bool("HUB_BEHIND_PROXY", False)
if HUB_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = False

# Wagtail.
WAGTAIL_SITE_NAME = "Balai"
WAGTAILADMIN_BASE_URL = os.environ.get("HUB_BASE_URL", "http://balai.lan")
WAGTAILIMAGES_IMAGE_MODEL = "media.BalaiImage"
# A Pi has little memory: refuse images whose pixels would not fit while decoding
# (a 30000x30000 PNG is a decompression bomb of 3.6 GB).
WAGTAILIMAGES_MAX_IMAGE_PIXELS = env_int("HUB_IMAGE_MAX_PIXELS", 40_000_000)
WAGTAILIMAGES_IMAGE_FORM_BASE = "hub.media.forms.BalaiImageForm"
WAGTAILIMAGES_MAX_UPLOAD_SIZE = env_int("HUB_IMAGE_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "gif"]
WAGTAILIMAGES_FORMAT_CONVERSIONS = {"bmp": "webp", "png": "webp", "jpeg": "webp", "gif": "webp"}
WAGTAILIMAGES_WEBP_QUALITY = 70
WAGTAILDOCS_EXTENSIONS = ["pdf", "odt", "docx", "xlsx", "ods", "txt", "csv"]
# Wagtail's background tasks: immediate, but search indexing in bulk while sync applies batches.
TASKS = {"default": {"BACKEND": "hub.core.tasks_backend.HubTaskBackend"}}
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILEMBEDS_FINDERS: list = []
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILADMIN_RICH_TEXT_EDITORS = {
    "default": {
        "WIDGET": "wagtail.admin.rich_text.DraftailRichTextArea",
        "OPTIONS": {"features": ["h2", "h3", "bold", "italic", "ol", "ul", "link", "hr"]},
    }
}
# Renditions made in the background for every image: phone widths, WebP.
HUB_RENDITION_WIDTHS = [
    int(w) for w in env_list("HUB_RENDITION_WIDTHS", ["360", "720", "1080"]) if w.isdigit()
]
HUB_THUMBNAIL_SPEC = "fill-160x120|format-webp|webpquality-60"
HUB_THUMBNAIL_2X_SPEC = "fill-320x240|format-webp|webpquality-60"
HUB_LOGO_SPEC = "max-64x64|format-webp|webpquality-80"
HUB_LOGO_2X_SPEC = "max-128x128|format-webp|webpquality-80"

# Background work: django-q2 with the ORM broker, one cluster beside gunicorn. Timeouts are below
# retry so a task that hangs is killed before it is handed out again; missed schedules are not
# replayed after a power cut (catch_up off).
Q_CLUSTER = {
    "name": "balai",
    "orm": "default",
    "workers": env_int("HUB_Q_WORKERS", 1),
    "recycle": 200,
    # A worker that has decoded big photos is replaced after its task, not kept at 140 MB.
    "max_rss": env_int("HUB_Q_MAX_RSS_KB", 100_000),
    "timeout": env_int("HUB_Q_TIMEOUT", 240),
    "retry": env_int("HUB_Q_TIMEOUT", 240) + 60,
    "max_attempts": 3,
    "catch_up": False,
    "poll": 1,
    "save_limit": 500,
    "queue_limit": 50,
    "ack_failures": True,
    "label": "Antrean tugas",
}

# Health: /healthz answers 503 when any of these is crossed. Below the critical free space the
# hub also refuses new orders, letter requests and uploads with a clear message (hub.core.disk);
# below the warning it still works, and says so on the admin dashboard and in the heartbeat.
HUB_HEALTH_MIN_FREE_BYTES = env_int("HUB_HEALTH_MIN_FREE_MB", 200) * 1024 * 1024
HUB_DISK_WARN_FREE_BYTES = env_int("HUB_DISK_WARN_FREE_MB", 1024) * 1024 * 1024
HUB_HEALTH_MAX_QUEUE_AGE_SECONDS = env_int("HUB_HEALTH_MAX_QUEUE_AGE_SECONDS", 900)
# Who sees /healthz's details (database, disk, queue figures): loopback always, and these
# addresses or networks (a monitoring server); everyone else gets {"status": ...} only.
HUB_HEALTH_DETAIL_ADDRESSES = env_list("HUB_HEALTH_DETAIL_ADDRESSES", [])

# Villager-facing rate limits per client address: scope -> (requests, seconds). Order and
# letter status lookups (guessing codes), searches (each one is a full-text query), and GETs
# whose query string the page cache does not know (each one is an uncached render).
HUB_RATE_LIMITS = {
    "lookup": (env_int("HUB_RATE_LOOKUP", 10), env_int("HUB_RATE_LOOKUP_SECONDS", 300)),
    "search": (env_int("HUB_RATE_SEARCH", 30), env_int("HUB_RATE_SEARCH_SECONDS", 60)),
    "page-query": (env_int("HUB_RATE_PAGE_QUERY", 60), env_int("HUB_RATE_PAGE_QUERY_SECONDS", 60)),
}

# The official list of region codes (Kemendagri). A newer list can be named here.
HUB_REGION_LIST = Path(
    os.environ.get("HUB_REGION_LIST", BASE_DIR / "hub" / "core" / "data" / "kode-wilayah.csv.gz")
)

# The key of the encrypted fields (NIK, KK: hub/core/fields.py), one key a line, newest last.
# Ansible makes /etc/balai/field_key; scripts/run makes one in the data directory.
HUB_FIELD_KEY_FILE = Path(os.environ.get("HUB_FIELD_KEY_FILE", DATA_DIR / "field_key"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # NIK and KK numbers (16 digits) are masked in every record that reaches a handler.
    "filters": {"personal_data": {"()": "hub.core.personal.PersonalNumberLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("HUB_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django_q": {"level": "WARNING"},
        "django-q": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}

# Sync engine (hub/sync, docs/sync-protocol.md). Sizes in bytes, times in seconds.
# The node code: on a village hub it is the Kemendagri village code (set by village_set_code);
# the upstream names itself by its region code (two digits for a province, four for a kabupaten).
SYNC_NODE_CODE = os.environ.get("HUB_NODE_CODE", "")
SYNC_VILLAGE_CODE_FUNCTION = "hub.site.identity.village_code"
SYNC_INTERVAL = env_int("HUB_SYNC_INTERVAL", 300)
SYNC_SOON_DELAY = env_int("HUB_SYNC_SOON_DELAY", 20)
# raw NDJSON per batch/page (zstd makes ~1/7 of it): big enough that 10,000 records are two
# round trips, small enough that a cut re-sends a few hundred KB at most
SYNC_BATCH_MAX_BYTES = env_int("HUB_SYNC_BATCH_BYTES", 2 * 1024 * 1024)
SYNC_PAGE_MAX_BYTES = env_int("HUB_SYNC_PAGE_BYTES", 2 * 1024 * 1024)
SYNC_REQUEST_MAX_BYTES = env_int("HUB_SYNC_REQUEST_BYTES", 2 * 1024 * 1024)
SYNC_BLOB_MAX_BYTES = env_int("HUB_SYNC_BLOB_BYTES", 2 * 1024 * 1024 * 1024)
SYNC_BLOB_CHUNK_BYTES = env_int("HUB_SYNC_BLOB_CHUNK_BYTES", 1024 * 1024)
SYNC_BLOB_PARTIAL_DIR = DATA_DIR / "blobs-partial"
SYNC_BLOB_PARTIAL_MAX_AGE = env_int("HUB_SYNC_PARTIAL_MAX_AGE", 7 * 24 * 3600)
# Blob files a village may keep on the upstream (what it uploaded and is still stored), bytes
SYNC_BLOB_NODE_QUOTA_BYTES = env_int("HUB_SYNC_BLOB_NODE_QUOTA_BYTES", 20 * 1024 * 1024 * 1024)
# A blob no record refers to is deleted once it is this old (seconds), on both roles
SYNC_BLOB_GC_GRACE = env_int("HUB_SYNC_BLOB_GC_GRACE", 7 * 24 * 3600)
# Requests older or newer than this (by the signer's clock) are refused as stale.
SYNC_CLOCK_WINDOW = env_int("HUB_SYNC_CLOCK_WINDOW", 300)
SYNC_HTTP_TIMEOUT = env_int("HUB_SYNC_HTTP_TIMEOUT", 60)
# How the village reaches the upstream (a hub.sync.village.transport.Transport subclass).
SYNC_TRANSPORT = "hub.sync.village.transport.Urllib3Transport"
# Monthly budget for the satellite link (0 = no limit) and the hours when big blobs may move.
SYNC_MONTHLY_BUDGET_BYTES = env_int("HUB_SYNC_MONTHLY_BUDGET_BYTES", 0)
SYNC_BULK_BLOB_BYTES = env_int("HUB_SYNC_BULK_BLOB_BYTES", 5 * 1024 * 1024)
SYNC_BULK_WINDOW = os.environ.get("HUB_SYNC_BULK_WINDOW", "")  # "22-05" (local hours), empty: any
SYNC_BACKOFF_MAX = env_int("HUB_SYNC_BACKOFF_MAX", 3600)
# Staying small over years (daily housekeeping): sync runs older than this are deleted (at
# least 32 days are kept: the month's data budget adds up this month's runs); deletions are
# forgotten (tombstone and journal row) this long after every reader has read them, and a
# bundle older than this is refused; SQLite gives freed space back to the disk when at least
# this much is free.
SYNC_RUN_KEEP_DAYS = env_int("HUB_SYNC_RUN_KEEP_DAYS", 90)
SYNC_TOMBSTONE_KEEP_DAYS = env_int("HUB_SYNC_TOMBSTONE_KEEP_DAYS", 90)
SYNC_VACUUM_MIN_BYTES = env_int("HUB_SYNC_VACUUM_MIN_BYTES", 16 * 1024 * 1024)
# Changes waiting for a record that has not arrived (HeldChange): at most this many per sender
# (more are refused), each kept at most this long (then expired, and counted as such).
SYNC_HELD_MAX_PER_SENDER = env_int("HUB_SYNC_HELD_MAX_PER_SENDER", 2000)
SYNC_HELD_MAX_AGE = env_int("HUB_SYNC_HELD_MAX_AGE", 30 * 24 * 3600)
# The largest answer the village reads from its upstream (a page is compressed, so far less
# than SYNC_PAGE_MAX_BYTES); a bigger one is refused before it is read whole.
SYNC_ANSWER_MAX_BYTES = env_int("HUB_SYNC_ANSWER_BYTES", 8 * 1024 * 1024)
# Push batches shrink to this after cuts (raw NDJSON; zstd makes ~1/4-1/7 of it), and a run
# gives up after this many cut requests in a row without an acknowledged batch.
SYNC_BATCH_MIN_BYTES = env_int("HUB_SYNC_BATCH_MIN_BYTES", 8 * 1024)
SYNC_PUSH_CUTS_MAX = env_int("HUB_SYNC_PUSH_CUTS_MAX", 6)
# While backing off, a TCP connect to the upstream every SYNC_PROBE_INTERVAL seconds (rounded up
# to the cluster's 30 s scheduler tick); one that connects starts a sync at once.
SYNC_PROBE_INTERVAL = env_int("HUB_SYNC_PROBE_INTERVAL", 30)
SYNC_PROBE_TIMEOUT = env_int("HUB_SYNC_PROBE_TIMEOUT", 5)

# Marketplace: orders one client (by address) may place in a window, against spam on the Wi-Fi.
MARKET_ORDER_RATE_LIMIT = env_int("HUB_MARKET_ORDER_RATE_LIMIT", 5)
MARKET_ORDER_RATE_WINDOW = env_int("HUB_MARKET_ORDER_RATE_WINDOW", 600)
# A new order the BUMDes has not confirmed within this many hours is cancelled and its stock
# returned (the BUMDes may set its own); 0 turns expiry off.
MARKET_ORDER_EXPIRE_HOURS = env_int("HUB_MARKET_ORDER_EXPIRE_HOURS", 48)
# A product without its own caps: one phone number may hold (in its open orders) at most this
# share of what is available, in percent, and never less than the product's minimum order.
MARKET_PHONE_MAX_SHARE_PERCENT = env_int("HUB_MARKET_PHONE_MAX_SHARE_PERCENT", 50)

# The offline library (elearning.library): ZIM archives dropped into LIBRARY_DIR are served by
# kiwix-serve, its own process (GPL: run beside the hub, never imported), on 127.0.0.1 under
# /pustaka/. Without nginx the hub proxies /pustaka/ to it (LIBRARY_KIWIX_TIMEOUT: seconds a
# read may wait); with nginx, nginx does.
LIBRARY_DIR = Path(os.environ.get("HUB_LIBRARY_DIR", DATA_DIR / "library")).resolve()
# Where a letter's QR code points (egov.letters): the upstream's public address, so a bank in
# town can verify a letter while the village is offline; empty: this hub (HUB_BASE_URL).
EGOV_LETTERS_VERIFY_BASE_URL = os.environ.get("HUB_LETTER_VERIFY_URL", "")
LIBRARY_KIWIX_PORT = env_int("HUB_KIWIX_PORT", 8090)
LIBRARY_KIWIX_URL = f"http://127.0.0.1:{LIBRARY_KIWIX_PORT}"
LIBRARY_KIWIX_TIMEOUT = env_int("HUB_KIWIX_TIMEOUT", 20)
