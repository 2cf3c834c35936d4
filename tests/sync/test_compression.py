"""Compression of pages: one zstd frame, inflated within hard limits (the link's pages and a
bundle's pages are the same bytes)."""

import os
import tracemalloc

import pytest
import zstandard

from hub.sync.wire.compression import compress_page, decompress_page
from hub.sync.wire.errors import CorruptPage, DecompressionBomb, WireError

MiB = 1024 * 1024


def test_page_compression_round_trips():
    # given
    raw = b'{"m":"site.announcement","id":"1"}\n' * 1000

    # when
    page = compress_page(raw)

    # then
    assert len(page) < len(raw) // 10
    assert decompress_page(page) == raw


def zeros_bomb(size: int, *, declare: bool) -> bytes:
    """``size`` bytes of zeros compressed a MiB at a time (the test never holds them)."""
    compressor = zstandard.ZstdCompressor(level=1)
    stream = compressor.compressobj(size=size if declare else -1)
    parts = [stream.compress(bytes(MiB)) for _ in range(size // MiB)]
    return b"".join([*parts, stream.flush()])


def test_bomb_that_declares_its_size_is_refused_before_inflating():
    # given
    bomb = zeros_bomb(200 * MiB, declare=True)
    tracemalloc.start()

    # when
    with pytest.raises(WireError) as excinfo:
        decompress_page(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    # then
    assert len(bomb) < 100_000
    assert excinfo.type is DecompressionBomb
    assert peak < MiB


def test_bomb_of_unknown_size_is_refused_within_bounded_memory():
    # given
    bomb = zeros_bomb(200 * MiB, declare=False)
    tracemalloc.start()

    # when
    with pytest.raises(WireError) as excinfo:
        decompress_page(bomb, max_output=4 * MiB)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    # then
    assert excinfo.type is DecompressionBomb
    assert peak < 32 * MiB


def test_bomb_of_unknown_size_is_refused_at_the_default_limit():
    # given
    bomb = zeros_bomb(200 * MiB, declare=False)

    # when
    with pytest.raises(WireError) as excinfo:
        decompress_page(bomb)

    # then
    assert excinfo.type is DecompressionBomb
    assert "67108864" in excinfo.value.reason


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p[:-6], id="truncated"),
        pytest.param(lambda p: p + b"junk", id="trailing-bytes"),
        pytest.param(lambda p: p + p, id="second-frame"),
        pytest.param(lambda p: b"not zstd at all", id="not-zstd"),
        pytest.param(lambda p: b"", id="empty"),
    ],
)
def test_damaged_page_is_refused(damage):
    # given
    page = damage(compress_page(os.urandom(2000) + bytes(50_000)))

    # when
    with pytest.raises(WireError) as excinfo:
        decompress_page(page)

    # then
    assert excinfo.type is CorruptPage
