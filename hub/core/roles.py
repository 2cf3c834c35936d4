"""The node's role, read from settings at call time (tests override ``HUB_ROLE``).

The role picks its settings module (``hub.settings.village`` or ``hub.settings.upstream``), and
each role module names its own ``ROOT_URLCONF``, so no module switches on the role at import.
"""

from django.conf import settings

VILLAGE = "village"
UPSTREAM = "upstream"


def is_upstream() -> bool:
    """True on a province/district server, False on a village hub."""
    return settings.HUB_ROLE == UPSTREAM
