"""Test settings: the village role with its real SQLite PRAGMAs, in a throw-away data dir."""

import base64
import os
import tempfile

# Every test run gets its own data dir, whatever the calling shell exported.
os.environ["HUB_SECRET_KEY"] = "test-only-secret-key-that-is-long-enough-0123456789"  # noqa: S105
os.environ["HUB_DATA_DIR"] = tempfile.mkdtemp(prefix="balai-test-")
os.environ["HUB_FIELD_KEY_FILE"] = os.path.join(os.environ["HUB_DATA_DIR"], "field_key")

from .main import *  # noqa: E402, F403
from .main import DATA_DIR, DATABASES  # noqa: E402

# A file, not :memory:, so WAL and the busy timeout are the real ones.
DATABASES["default"].setdefault("TEST", {})["NAME"] = str(DATA_DIR / "test-db.sqlite3")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Tasks run inline in unit tests; the end-to-end tests run the real cluster.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)
# A field-encryption key of this run only.
(DATA_DIR / "field_key").write_text(base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n")
