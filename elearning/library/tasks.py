"""django-q2 tasks of the offline library."""

from .services import library_scan


def library_scan_task() -> str:
    """Serve archives dropped into the folder since the last run (every minute)."""
    result = library_scan()
    return f"{len(result.served)} served, {len(result.refused)} refused"
