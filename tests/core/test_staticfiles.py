"""hub.core.staticfiles: each distinct content compressed once, Brotli 11 for what phones load."""

import gzip
import os

import brotli

from hub.core import staticfiles
from hub.core.staticfiles import BROTLI_BEST_UP_TO, OnceCompressor


def _text(size: int, seed: int) -> bytes:
    # compressible but not trivially: words drawn from a small vocabulary
    words = [b"pengumuman", b"desa", b"posyandu", b"jadwal", b"bumdes", b"kopi", b"sawah"]
    out = bytearray()
    state = seed
    while len(out) < size:
        state = (state * 1103515245 + 12345) % 2**31
        out += words[state % len(words)] + b" "
    return bytes(out[:size])


def test_the_hub_collects_with_it():
    # (the test settings collect nothing and store plainly; every role's settings use it)
    from hub.settings import base

    assert base.STORAGES["staticfiles"]["BACKEND"] == "hub.core.staticfiles.StaticFilesStorage"


def test_the_same_content_under_two_names_is_compressed_once_and_written_for_both(
    tmp_path, monkeypatch
):
    # given an original and its hashed copy (the same bytes), and a different file
    body = _text(20_000, 1)
    original, hashed = tmp_path / "site.js", tmp_path / "site.0123456789ab.js"
    other = tmp_path / "other.css"
    original.write_bytes(body)
    hashed.write_bytes(body)
    other.write_bytes(_text(5_000, 2))
    calls = []
    real = brotli.compress
    monkeypatch.setattr(
        brotli, "compress", lambda data, **kw: calls.append(len(data)) or real(data, **kw)
    )
    compressor = OnceCompressor(quiet=True)
    # when all three are compressed
    for path in (original, hashed, other):
        compressor.compress(str(path))
    # then Brotli ran once per distinct content, and every file has its .br and .gz
    assert sorted(calls) == [5_000, 20_000]
    for path in (original, hashed, other):
        raw = path.read_bytes()
        assert brotli.decompress(path.with_name(path.name + ".br").read_bytes()) == raw
        assert gzip.decompress(path.with_name(path.name + ".gz").read_bytes()) == raw
    # and the copies' compressed files are byte for byte the same
    assert (tmp_path / "site.js.br").read_bytes() == (
        tmp_path / "site.0123456789ab.js.br"
    ).read_bytes()


def test_small_files_get_brotlis_best_quality_large_ones_a_faster_one(tmp_path):
    small, large = _text(BROTLI_BEST_UP_TO, 3), _text(BROTLI_BEST_UP_TO + 1, 4)
    compressor = OnceCompressor(quiet=True)
    assert compressor.compress_brotli(small) == brotli.compress(small, quality=11)
    assert compressor.compress_brotli(large) == brotli.compress(
        large, quality=staticfiles.BROTLI_LARGE_QUALITY
    )


def test_a_file_that_does_not_compress_gets_no_compressed_copies(tmp_path):
    noise = tmp_path / "noise.js"
    noise.write_bytes(os.urandom(4_000))
    assert OnceCompressor(quiet=True).compress(str(noise)) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["noise.js"]
