"""An upstream inside the test process, and a transport that reaches it without a socket.

The village is the test's own database and settings. The upstream is a second SQLite database
(a copy of the migrated test database, so it has the same tables and the rows migrations made),
with its own data directory, node key, blob store and media. While a request is served, the
upstream's settings are in force and its connection stands in for the ``default`` alias, so the
upstream's views, services and models run unchanged; Django's test client calls them through
the whole middleware stack. Both nodes live in one thread: nothing runs concurrently.
"""

import contextlib
import io
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from django.db import connections
from django.test import Client, override_settings
from django.urls import include, path
from django.utils.datastructures import CaseInsensitiveMapping

from hub.sync.upstream.enrollment import village_enroll
from hub.sync.village.pinning import upstream_set
from hub.sync.village.transport import Transport
from hub.sync.wire import keys

# the upstream's URLs: only its /sync/ endpoints, whatever the role's URLconf holds
urlpatterns = [
    path("sync/v2/", include("hub.sync.urls", namespace="sync_v2"), {"protocol": 2}),
    path("sync/v1/", include("hub.sync.urls")),
]


def node_settings(root: Path, **extra) -> dict:
    """The settings that make ``root`` a node's own data directory."""
    from django.conf import settings

    return {
        "DATA_DIR": root,
        "MEDIA_ROOT": root / "media",
        "SYNC_BLOB_PARTIAL_DIR": root / "blobs-partial",
        "STORAGES": {
            **settings.STORAGES,
            "sync_blobs": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(root / "blobs"), "base_url": None},
            },
        },
        **extra,
    }


class InProcessUpstream:
    """An upstream of region ``code`` whose database and files live under ``root``."""

    def __init__(self, root: Path, code: str):
        self.root, self.code = root, code
        root.mkdir(parents=True, exist_ok=True)
        village = connections["default"]
        name = root / "upstream.sqlite3"
        source = sqlite3.connect(village.settings_dict["NAME"])
        target = sqlite3.connect(name)
        with target:
            source.backup(target)
        source.close()
        target.close()
        self.connection = type(village)({**village.settings_dict, "NAME": str(name)}, "default")
        self.settings = node_settings(
            root, HUB_ROLE="upstream", SYNC_NODE_CODE=code, ROOT_URLCONF=__name__,
            # the village signs the URL it was pinned to (http://upstream.test): v2 covers it
            ALLOWED_HOSTS=["*"],
        )  # fmt: skip
        with self.active():
            self.key, _created = keys.node_key_create()

    @property
    def public_key(self) -> str:
        return keys.public_key_text(self.key.public_key())

    @contextlib.contextmanager
    def active(self):
        """Run the block as the upstream: its settings, its database."""
        handler = connections._connections
        village = handler.default
        with override_settings(**self.settings):
            handler.default = self.connection
            try:
                yield
            finally:
                handler.default = village

    def close(self) -> None:
        self.connection.close()


class InProcessResponse:
    """A transport's answer: status, case-insensitive headers, the body."""

    def __init__(self, status: int, headers, data: bytes):
        self.status = status
        self.headers = CaseInsensitiveMapping(dict(headers))
        self.data = data

    @property
    def data(self) -> bytes:
        return self._data

    @data.setter
    def data(self, value: bytes) -> None:
        # the client reads the body in chunks: a subclass that rewrites it rewrites the stream
        self._data = value
        self._stream = io.BytesIO(value)

    def read(self, n: int = -1) -> bytes:
        return self._stream.read(n)

    def release_conn(self) -> None:
        pass


class InProcessTransport(Transport):
    """Carries the village's requests to an :class:`InProcessUpstream` through Django's test
    client; ``requests`` lists ``(method, path, status)`` of every request, in order."""

    def __init__(self, upstream: InProcessUpstream):
        self.upstream = upstream
        self.requests: list[tuple[str, str, int]] = []

    def request(self, method, url, *, body, headers, stream=False):
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = dict(headers)
        headers["Host"] = parts.netloc
        content_type = headers.pop("Content-Type", "application/octet-stream")
        with self.upstream.active():
            response = Client().generic(
                method, target, data=body or b"", content_type=content_type, headers=headers
            )
            data = b"".join(response.streaming_content) if response.streaming else response.content
        self.requests.append((method, parts.path, response.status_code))
        return self.answer(InProcessResponse(response.status_code, response.headers, data))

    def answer(self, response: InProcessResponse) -> InProcessResponse:
        """What the village receives (a subclass plays a captive portal or a proxy here)."""
        return response


def village_linked(
    upstream: "InProcessUpstream",
    settings,
    root: Path,
    code: str,
    *,
    url: str = "http://upstream.test",
) -> "InProcessTransport":
    """This test's database as village ``code``: its settings under ``root``, a real node key
    enrolled on ``upstream``, the upstream pinned; the transport to reach it in-process."""
    for name, value in node_settings(root, SYNC_NODE_CODE=code).items():
        setattr(settings, name, value)
    village_key, _created = keys.node_key_create()
    with upstream.active():
        village_enroll(code=code, public_key=keys.public_key_text(village_key.public_key()))
    upstream_set(url=url, public_key=upstream.public_key, code=upstream.code)
    return InProcessTransport(upstream)
