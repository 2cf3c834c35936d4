"""How letters sync (registered from ``LettersConfig.ready()``; engine public API only).

Only the verification record of an issued letter travels, up from the village (the default
for a village-owned record), so the upstream can verify a letter from a village that is
offline. Requests, their photos and the view log never leave the village: they are not
registered at all.
"""

from hub.sync.registry import register

from .models import LetterVerification


def register_synced_models():
    register(LetterVerification, owner="village")
