"""Settings shared by both roles. Production values come from the environment.

The code tree is read-only on a hub: everything that changes (database, media, blobs, keys, the
secret key, collected static files) lives in ``HUB_DATA_DIR``.
"""

import os
from datetime import timedelta
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


def https_mode(value: str) -> str:
    """``HUB_HTTPS`` as ``off``, ``on`` or ``auto`` (see the HTTPS block below)."""
    value = value.strip().lower()
    if value in {"", "0", "off", "false", "no"}:
        return "off"
    if value in {"1", "on", "true", "yes"}:
        return "on"
    if value == "auto":
        return "auto"
    raise ImproperlyConfigured(f"HUB_HTTPS must be 0, 1 or auto, not {value!r}.")


def https_origins(hosts: list[str]) -> list[str]:
    """``https://name`` for each host name (not an address, a wildcard or localhost)."""
    origins = []
    for host in hosts:
        name = host.lstrip(".")
        if not name or name == "*" or name == "localhost" or name.startswith("["):
            continue
        if name.replace(".", "").isdigit():
            continue
        origins.append(f"https://{name}")
    return origins


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
    "hub.certs",
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
    "axes",
]

MIDDLEWARE = [
    # first: forwarded headers from anyone but nginx are dropped before anything reads them
    "hub.core.https.ProxyHeadersMiddleware",
    "hub.core.https.SecureCookiesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "hub.core.middleware.MediaHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hub.core.middleware.PublicPageHeadersMiddleware",
    "hub.core.middleware.AnonymousPageCacheMiddleware",
    "hub.core.middleware.TextGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hub.core.sessions.SessionRefreshMiddleware",
    "hub.core.middleware.VillageLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # after the host check: the Wagtail site of a villager page from memory (one per generation)
    "hub.core.middleware.WagtailSiteMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # a login refused while the password checks were busy, or during a lockout, gets its own
    # page (hub.core.logins)
    "hub.core.logins.LoginBusyMiddleware",
    "axes.middleware.AxesMiddleware",
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

# Login throttling (django-axes; hub/core/logins.py, docs/https-deploy.md): this many wrong
# passwords for one user name from one address lock that pair out for HUB_LOGIN_LOCKOUT_MINUTES.
# The Axes backend comes first, so a login during a lockout is refused before a password is
# hashed; `manage.py login_unlock NAME` opens it early. Counts live in the database, shared by
# every gunicorn worker.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "hub.core.logins.SerialPasswordBackend",
]
# Password checks at a time on this host (PBKDF2, Django 5.2's 1,000,000 rounds: a core for about
# a second each), and how long a login waits for one before "busy, try again" (hub.core.logins).
HUB_LOGIN_CONCURRENT_CHECKS = env_int("HUB_LOGIN_CONCURRENT_CHECKS", 1)
HUB_LOGIN_WAIT_SECONDS = env_int("HUB_LOGIN_WAIT_SECONDS", 15)
AXES_WHITELIST_CALLABLE = "hub.core.logins.login_busy"
AXES_FAILURE_LIMIT = env_int("HUB_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("HUB_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "hub.core.clients.client_address"
AXES_LOCKOUT_CALLABLE = "hub.core.logins.lockout_response"
AXES_RESET_ON_SUCCESS = True
# a refused login during a lockout neither writes to the database nor extends the lockout
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# no table of every successful login (addresses are personal data, and it only grows)
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

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
    "staticfiles": {"BACKEND": "hub.core.staticfiles.StaticFilesStorage"},
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

# Sessions and cookies. Sessions are the admin's only (villagers have none): on a shared office PC
# a session ends when the browser closes or after HUB_SESSION_IDLE_SECONDS without a request.
SESSION_COOKIE_NAME = "balai_sesi"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("HUB_SESSION_IDLE_SECONDS", 3600)
# the idle clock is reset at most once a minute, not by a write on every click
# (hub.core.sessions.SessionRefreshMiddleware)
HUB_SESSION_REFRESH_SECONDS = env_int("HUB_SESSION_REFRESH_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# HTTPS (docs/https-deploy.md). HUB_HTTPS is one of:
#   0    plain HTTP (scripts/run, tests, a bare hub);
#   1    HTTPS only (the upstream): plain HTTP is redirected, cookies are Secure, and the
#        upstream sends HSTS (hub/settings/upstream.py);
#   auto a village hub provisioned by Ansible: HTTPS on its public name once a valid certificate
#        is installed, plain HTTP at balai.lan until then. Only nginx knows which (it redirects
#        when the certificate is valid), so Django never redirects, marks cookies Secure on
#        every answer to an HTTPS request (hub.core.https.SecureCookiesMiddleware) and never
#        sends HSTS: a policy on the village's name would lock phones out the day a certificate
#        expires while the satellite link is down.
HUB_HTTPS_MODE = https_mode(os.environ.get("HUB_HTTPS", "0"))
HUB_HTTPS = HUB_HTTPS_MODE == "on"
SESSION_COOKIE_SECURE = HUB_HTTPS
CSRF_COOKIE_SECURE = HUB_HTTPS
SECURE_SSL_REDIRECT = HUB_HTTPS
# Not redirected: /healthz (asked over plain HTTP on the host itself) and, unless
# HUB_HTTPS_SYNC_PLAIN=0, the sync API: every request and answer there is signed with the
# nodes' Ed25519 keys, villages provisioned with an http:// upstream URL keep syncing while they
# move to https://, and a POST redirected to another scheme would lose its body anyway.
HUB_HTTPS_SYNC_PLAIN = env_bool("HUB_HTTPS_SYNC_PLAIN", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"] + ([r"^sync/v[12]/"] if HUB_HTTPS_SYNC_PLAIN else [])
SECURE_HSTS_SECONDS = 0
# nginx in front: it sets X-Forwarded-Proto and appends the client to X-Forwarded-For. Both are
# believed only from the addresses in HUB_TRUSTED_PROXIES (nginx on the same host); from any
# other address hub.core.https.ProxyHeadersMiddleware drops them before anything reads them.
HUB_BEHIND_PROXY = env_bool("HUB_BEHIND_PROXY", False)
HUB_TRUSTED_PROXIES = env_list("HUB_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
if HUB_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = False
# `manage.py check --deploy` warnings that the HTTPS mode answers another way (hub.core.checks
# checks those ways are in place instead): with HUB_HTTPS=auto nginx redirects once the
# certificate is valid (W008) and SecureCookiesMiddleware makes cookies Secure on HTTPS
# (W012, W016). HSTS (W004) is the upstream's only: hub/settings/village.py.
SILENCED_SYSTEM_CHECKS = (
    ["security.W008", "security.W012", "security.W016"] if HUB_HTTPS_MODE == "auto" else []
)
# Origins a form may be posted from: https:// of every name the hub answers to (not addresses),
# or the list in HUB_CSRF_TRUSTED_ORIGINS.
CSRF_TRUSTED_ORIGINS = env_list(
    "HUB_CSRF_TRUSTED_ORIGINS",
    https_origins(ALLOWED_HOSTS) if HUB_HTTPS_MODE != "off" else [],
)

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
        # lockouts and repeated failures (WARNING), not every failed login
        "axes": {"level": "WARNING"},
        # a push's steps with monotonic timestamps (hub/sync/core/timeline.py, bench sync)
        "hub.sync.timeline": {"level": "DEBUG" if env_bool("HUB_SYNC_TIMELINE", False) else "INFO"},
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
# the protocol a village speaks: 2 (RFC 9421 signatures, generations); 1 only towards an
# upstream that is not upgraded yet (it answers /sync/v1/ alone)
SYNC_PROTOCOL = env_int("HUB_SYNC_PROTOCOL", 2)
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
# Push batches in flight at once, each on its own connection (1: one after the other): the
# next batch crosses the link while the upstream applies the one before. The upstream applies a
# pipelined batch only in order, waiting at most SYNC_PUSH_ORDER_WAIT seconds for the one before.
# A pipelined push sends batches of at most SYNC_PUSH_PIPELINE_BATCH_BYTES (raw NDJSON, ~100 KB
# of zstd): several in flight keep the link busy while each is applied, and the last one's apply
# after the last byte is short. The upstream lets SYNC_PUSH_ORDER_WAITERS batches of one village
# wait for their predecessor at a time (8 at most).
SYNC_PUSH_PIPELINE = env_int("HUB_SYNC_PUSH_PIPELINE", 3)
SYNC_PUSH_PIPELINE_BATCH_BYTES = env_int("HUB_SYNC_PUSH_PIPELINE_BATCH_BYTES", 512 * 1024)
SYNC_PUSH_ORDER_WAIT = env_int("HUB_SYNC_PUSH_ORDER_WAIT", 30)
SYNC_PUSH_ORDER_WAITERS = env_int("HUB_SYNC_PUSH_ORDER_WAITERS", 4)
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

# Learner profiles (elearning.courses): a nickname + 4-digit PIN. After LOCK_AFTER wrong PINs in
# a row the profile waits LOCK_SECONDS; after MAX_FAILURES it stays locked until a facilitator
# sets a new PIN, so at most MAX_FAILURES of the 10,000 PINs can ever be tried.
LEARNER_PIN_LOCK_AFTER = env_int("HUB_LEARNER_PIN_LOCK_AFTER", 5)
LEARNER_PIN_LOCK_SECONDS = env_int("HUB_LEARNER_PIN_LOCK_SECONDS", 900)
LEARNER_PIN_MAX_FAILURES = env_int("HUB_LEARNER_PIN_MAX_FAILURES", 10)
# and one client address may type ADDRESS_LIMIT wrong PINs (any nicknames) per ADDRESS_WINDOW
# seconds, so one phone cannot lock every profile of the village by trying one PIN on each
LEARNER_PIN_ADDRESS_LIMIT = env_int("HUB_LEARNER_PIN_ADDRESS_LIMIT", 20)
LEARNER_PIN_ADDRESS_WINDOW = env_int("HUB_LEARNER_PIN_ADDRESS_WINDOW", 3600)

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

# HTTPS certificate of each hub (hub.certs, docs/https.md). The village makes its key (never
# leaves the hub) and CSR in HUB_TLS_DIR; the certificate nginx serves is HUB_TLS_DIR/live/.
# The name: HUB_TLS_NAME, else HUB_TLS_NAME_PATTERN filled with {code} (the village code),
# {village_domain} and {province_domain}.
HUB_TLS_DIR = Path(os.environ.get("HUB_TLS_DIR", DATA_DIR / "tls")).resolve()
HUB_VILLAGE_DOMAIN = os.environ.get("HUB_VILLAGE_DOMAIN", "").strip().strip(".").lower()
HUB_TLS_PROVINCE_DOMAIN = os.environ.get("HUB_TLS_PROVINCE_DOMAIN", "").strip().strip(".").lower()
HUB_TLS_NAME_PATTERN = os.environ.get("HUB_TLS_NAME_PATTERN", "") or (
    "balai.{village_domain}" if HUB_VILLAGE_DOMAIN else "{code}.{province_domain}"
)
HUB_TLS_NAME = os.environ.get("HUB_TLS_NAME", "").strip().strip(".").lower()
# the admin warns this many days before the installed certificate expires
HUB_TLS_WARN_DAYS = env_int("HUB_TLS_WARN_DAYS", 10)
# Upstream only: the issuing service (ACME DNS-01; empty HUB_ACME_DNS_ZONE: nothing is issued).
HUB_ACME_DIRECTORY_URL = os.environ.get(
    "HUB_ACME_DIRECTORY_URL", "https://acme-v02.api.letsencrypt.org/directory"
)
# a CA bundle for the ACME server's own HTTPS (a test CA); empty: the system's
HUB_ACME_CA_BUNDLE = os.environ.get("HUB_ACME_CA_BUNDLE", "")
HUB_ACME_EMAIL = os.environ.get("HUB_ACME_EMAIL", "")
HUB_ACME_ACCOUNT_KEY_FILE = Path(
    os.environ.get("HUB_ACME_ACCOUNT_KEY_FILE", DATA_DIR / "acme" / "account.key")
)
# each hub's _acme-challenge name is a CNAME to <village code>.<HUB_ACME_DNS_ZONE>
HUB_ACME_DNS_ZONE = os.environ.get("HUB_ACME_DNS_ZONE", "").strip().strip(".").lower()
# the DNS updater (a hub.certs.dns.DnsUpdater subclass) and its options
HUB_ACME_DNS_UPDATER = os.environ.get("HUB_ACME_DNS_UPDATER", "hub.certs.dns.Rfc2136Updater")
HUB_ACME_DNS_OPTIONS = {
    "server": os.environ.get("HUB_ACME_DNS_SERVER", "127.0.0.1"),
    "port": env_int("HUB_ACME_DNS_PORT", 53),
    "key_name": os.environ.get("HUB_ACME_TSIG_NAME", ""),
    "key_file": os.environ.get("HUB_ACME_TSIG_SECRET_FILE", ""),
    "algorithm": os.environ.get("HUB_ACME_TSIG_ALGORITHM", "hmac-sha256"),
    "ttl": env_int("HUB_ACME_DNS_TTL", 60),
}
# seconds to wait after the TXT update before asking the CA to validate (secondaries)
HUB_ACME_PROPAGATION_SECONDS = env_int("HUB_ACME_PROPAGATION_SECONDS", 0)
# a failed order is retried after this many hours (a rate limit's Retry-After wins when longer)
HUB_ACME_RETRY_HOURS = env_int("HUB_ACME_RETRY_HOURS", 6)
HUB_ACME_ORDER_TIMEOUT = env_int("HUB_ACME_ORDER_TIMEOUT", 120)
# Buyers' personal data in the marketplace (UU 27/2022): days after an order (or an outside
# request, on the upstream) is closed before its buyer's name, phone and address are erased.
MARKET_RETENTION_DAYS = env_int("HUB_MARKET_RETENTION_DAYS", 365)
