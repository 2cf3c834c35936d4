"""Compression of pages and batches: one zstd frame each, inflated with hard limits.

A page on the link and a page in a bundle are the same bytes, so both go through here. The
decoder refuses bombs, truncated frames, trailing bytes and big windows before they cost a Pi
its memory.
"""

import zstandard

from .errors import CorruptPage, DecompressionBomb

MiB = 1024 * 1024
PAGE_MAX_OUTPUT = 64 * MiB
ZSTD_LEVEL = 10
# Level 10 uses at most a 4 MiB window; refusing bigger ones bounds the decoder's memory on a Pi.
ZSTD_MAX_WINDOW = 16 * MiB
# Compressed input fed to the decoder per call: zstd inflates at most ~32768x (an RLE block),
# so one call yields at most 8 MiB, however hostile the page.
ZSTD_INPUT_SLICE = 256


def compress_page(data: bytes) -> bytes:
    """One zstd frame with its size and checksum, as ``decompress_page`` expects."""
    return zstandard.ZstdCompressor(
        level=ZSTD_LEVEL, write_checksum=True, write_content_size=True
    ).compress(data)


def decompress_page(data: bytes, *, max_output: int = PAGE_MAX_OUTPUT) -> bytes:
    """Inflate one page, refusing bombs, truncated frames and trailing bytes.

    The input is fed in small slices, so however it was crafted no more than ``max_output``
    plus one slice's worth (8 MiB) is ever held; a frame that declares a bigger size is refused
    before anything is inflated.
    """
    try:
        declared = zstandard.frame_content_size(data)
    except zstandard.ZstdError as exc:
        raise CorruptPage(f"the page is not zstd data ({exc})") from exc
    # -1: the frame does not say (a streaming compressor made it); the bounded loop still holds
    if declared > max_output:
        raise DecompressionBomb(
            f"the page declares {declared} bytes once inflated, over the limit of {max_output}"
        )
    decoder = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).decompressobj()
    view = memoryview(data)
    out = bytearray()
    trailing = 0
    try:
        for start in range(0, len(view), ZSTD_INPUT_SLICE):
            out += decoder.decompress(view[start : start + ZSTD_INPUT_SLICE])
            if len(out) > max_output:
                raise DecompressionBomb(
                    f"the page inflates to more than the limit of {max_output} bytes"
                )
            if decoder.eof:
                rest = max(0, len(view) - start - ZSTD_INPUT_SLICE)
                trailing = len(decoder.unused_data) + rest
                break
    except zstandard.ZstdError as exc:
        raise CorruptPage(f"the page is damaged zstd data ({exc})") from exc
    if not decoder.eof:
        raise CorruptPage("the page's zstd frame is cut short")
    if trailing:
        raise CorruptPage(f"{trailing} unexpected bytes follow the page's zstd frame")
    if declared >= 0 and len(out) != declared:
        raise CorruptPage(f"the page inflates to {len(out)} bytes but declares {declared}")
    return bytes(out)
