"""Static files: whitenoise's compressed, hashed storage, made in seconds instead of a minute.

``collectstatic`` runs on every first start and every upgrade of a hub, on a Raspberry Pi.
whitenoise compresses every file twice (the original name and the hashed copy, byte for byte
the same for all but CSS) with Brotli at its slowest quality (11): 20 s of CPU on this project's
~8 MB of text, most of it Wagtail's admin bundles, about four times that on a Pi. Here each
distinct content is compressed once and written under both names, and files over
``BROTLI_BEST_UP_TO`` bytes (the admin's bundles, which only officials load, over the village
Wi-Fi) use quality 9: ~8 % larger, 20 times faster. What villagers' phones load (the site's
own CSS, JS and icons, all far smaller) keeps quality 11.
"""

import hashlib
import threading

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

# Files up to this size keep Brotli's best quality; larger ones use BROTLI_LARGE_QUALITY.
BROTLI_BEST_UP_TO = 100 * 1024
BROTLI_LARGE_QUALITY = 9


class OnceCompressor(Compressor):
    """whitenoise's compressor, compressing each distinct content once per run."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._done: dict[tuple[str, bytes], bytes] = {}
        self._lock = threading.Lock()

    def _once(self, kind: str, data: bytes, compress) -> bytes:
        key = (kind, hashlib.sha256(data).digest())
        with self._lock:
            known = self._done.get(key)
        if known is None:
            known = compress(data)
            with self._lock:
                self._done[key] = known
        return known

    def compress_brotli(self, data: bytes) -> bytes:
        import brotli

        quality = 11 if len(data) <= BROTLI_BEST_UP_TO else BROTLI_LARGE_QUALITY
        return self._once("br", data, lambda raw: brotli.compress(raw, quality=quality))

    def compress_gzip(self, data: bytes) -> bytes:
        return self._once("gz", data, Compressor.compress_gzip)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """``CompressedManifestStaticFilesStorage`` with :class:`OnceCompressor`."""

    def create_compressor(self, **kwargs):
        return OnceCompressor(**kwargs)
