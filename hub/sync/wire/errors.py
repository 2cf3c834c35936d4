"""Refusals of sync data that is not what the protocol says: malformed, damaged or too big."""

from ..core.errors import Refused


class WireError(Refused, ValueError):
    """Malformed sync data: refused with this message."""

    code = "bad_data"


class CorruptPage(WireError):
    """A compressed page that is not one whole, undamaged zstd frame."""

    code = "corrupt_page"


class DecompressionBomb(WireError):
    """A page that would inflate beyond the limit."""

    code = "decompression_bomb"
