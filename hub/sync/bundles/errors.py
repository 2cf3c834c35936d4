"""Why a bundle file is refused, or could not be written."""

from ..core.errors import Refused


class BundleRefused(Refused):
    """A file this hub will not use, with the reason in English; nothing in it was applied.

    Subclasses say what is wrong; ``code`` is a stable short name for screens and logs. A
    member whose bytes are not the signed ones is refused with
    :class:`~hub.sync.core.errors.HashMismatch`, the blob store's refusal of the same fault.
    """


class NotABundle(BundleRefused):
    code = "not_a_bundle"


class Truncated(BundleRefused):
    code = "truncated"


class BadManifest(BundleRefused):
    code = "bad_manifest"


class UnknownSigner(BundleRefused):
    code = "unknown_signer"


class WrongSigner(BundleRefused):
    code = "wrong_signer"


class BadSignature(BundleRefused):
    code = "bad_signature"


class UnsafeMember(BundleRefused):
    """A link, device, directory or anything else that is not a plain file."""

    code = "unsafe_member"


class BadMemberName(BundleRefused):
    code = "bad_member_name"


class DuplicateMember(BundleRefused):
    code = "duplicate_member"


class MemberMismatch(BundleRefused):
    """The members are not exactly those the manifest lists, in its order, with its sizes."""

    code = "member_mismatch"


class BlobNameMismatch(BundleRefused):
    code = "blob_name_mismatch"


class TooLarge(BundleRefused):
    code = "too_large"


class BundleWriteError(Exception):
    """A bundle could not be written (a blob is not what it claims, a limit is passed)."""
