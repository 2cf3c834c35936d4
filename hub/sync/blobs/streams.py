"""A stream wrapper that counts the bytes of a blob transfer."""

from collections.abc import Callable
from typing import BinaryIO


class CountingStream:
    """Reads through ``stream``, counting the bytes in ``count`` and telling ``report`` (when
    given) how many each read brought. ``cut_errors``: exceptions of a read that mean the
    transfer was cut; such a read ends the stream (what arrived is kept). Closing it closes the
    stream it wraps.
    """

    def __init__(
        self,
        stream: BinaryIO,
        report: Callable[[int], None] | None = None,
        *,
        cut_errors: tuple[type[BaseException], ...] = (),
    ):
        self.stream = stream
        self.report = report
        self.cut_errors = cut_errors
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        try:
            data = self.stream.read(n)
        except self.cut_errors:
            return b""
        self.count += len(data)
        if self.report is not None:
            self.report(len(data))
        return data

    def close(self) -> None:
        self.stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
