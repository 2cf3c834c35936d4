"""What the engine refuses: the one base every refusal of data from elsewhere shares.

A bundle, a page or a blob that is not what it claims is refused with a :class:`Refused`
subclass, whose ``code`` is a stable short name for screens and logs and whose ``reason`` says
in English what is wrong.
"""


class Refused(Exception):
    """Data from another node (a file, a page, a blob) this hub will not use, and why."""

    code = "refused"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class HashMismatch(Refused, ValueError):
    """Bytes that do not hash to the SHA-256 they were announced with: a blob, a bundle member.

    ``expected`` and ``actual`` are the two digests when the caller knows both.
    """

    code = "hash_mismatch"

    def __init__(self, reason: str | None = None, *, expected: str = "", actual: str = ""):
        super().__init__(reason or f"SHA-256 mismatch: expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual
