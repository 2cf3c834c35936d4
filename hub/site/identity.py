"""The village's identity as other parts of the hub need it (the sync engine reads the code)."""

from .models import VillageSettings


def village_code() -> str:
    """The ten-digit Kemendagri code, or "" until the operator has set it."""
    return VillageSettings.load().village_code
