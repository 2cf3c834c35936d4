"""The app's settings, each with its default; a hub overrides one in its settings module
(``hub/settings/*.py``, rendered by Ansible from the environment)."""

from pathlib import Path

from django.conf import settings


def private_dir() -> Path:
    """Where attachments and letter PDFs are kept: inside the data directory, never under
    MEDIA_ROOT (nothing here is served by nginx or whitenoise)."""
    return Path(
        getattr(settings, "EGOV_LETTERS_PRIVATE_DIR", settings.DATA_DIR / "private" / "letters")
    )


def attachment_days() -> int:
    """Days after a request is completed (approved or rejected) before its photos are deleted."""
    return int(getattr(settings, "EGOV_LETTERS_ATTACHMENT_DAYS", 90))


def retention_days() -> int:
    """Days after completion before a request's personal data is erased (anonymised); the
    verification record of its letter stays."""
    return int(getattr(settings, "EGOV_LETTERS_RETENTION_DAYS", 365))


def attachment_max_bytes() -> int:
    return int(getattr(settings, "EGOV_LETTERS_ATTACHMENT_MAX_BYTES", 8 * 1024 * 1024))


def attachment_max_pixels() -> int:
    """A photo larger than this (width × height) is refused before it is decoded: a small PNG
    can claim to be 50,000 × 50,000 pixels and take gigabytes to open."""
    return int(getattr(settings, "EGOV_LETTERS_ATTACHMENT_MAX_PIXELS", 40_000_000))


def attachment_max_side() -> int:
    """Stored photos are scaled down to this many pixels on their longer side."""
    return int(getattr(settings, "EGOV_LETTERS_ATTACHMENT_MAX_SIDE", 2000))


def submit_rate_limit() -> tuple[int, int]:
    """(requests, seconds): how many requests one client may send in a window."""
    return (
        int(getattr(settings, "EGOV_LETTERS_RATE_LIMIT", 5)),
        int(getattr(settings, "EGOV_LETTERS_RATE_WINDOW", 600)),
    )


def verify_base_url() -> str:
    """The site the QR code on a letter points to. Set it to the upstream's public address so
    a bank in town can check a letter while the village's link is down (the verification
    record syncs up); by default the hub's own address."""
    return str(
        getattr(settings, "EGOV_LETTERS_VERIFY_BASE_URL", "") or settings.WAGTAILADMIN_BASE_URL
    ).rstrip("/")
