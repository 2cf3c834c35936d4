"""How letters sync (registered from ``LettersConfig.ready()``; engine public API only).

- :class:`LetterVerification`: up from the village (the default for a village-owned record),
  so the upstream verifies a letter from a village that is offline. Nothing personal.
- :class:`ForwardRecipient`: an office's public key, made on the upstream, down to the villages
  of its ``region``.
- :class:`LetterForward`: up from the village, the forwarded fields sealed to the recipient's
  key; the upstream stores what it cannot read.

Requests, their photos and the view log never leave the village: they are not registered.
"""

from hub.sync.registry import default_audience, register

from .models import ForwardRecipient, LetterForward, LetterVerification


def recipient_audience(obj) -> str | None:
    """The recipient's ``region`` when it lies within the owner's; the owner's region otherwise
    (a recipient never reaches villages outside the upstream that registered it)."""
    default = default_audience(obj)
    if default is not None and obj.region.startswith(default):
        return obj.region
    return default


def register_synced_models():
    register(LetterVerification, owner="village")
    register(ForwardRecipient, owner="upstream", audience=recipient_audience)
    register(LetterForward, owner="village")
