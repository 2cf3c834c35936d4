"""Letter pages: ``village`` (the villager's requests, on a village hub) and ``verify`` (the
public verification page, on both roles). Views parse the request and call a selector or a
service."""

from django.conf import settings


def client_address(request) -> str:
    """The client's address for the rate limit (behind nginx: the address it appended)."""
    if settings.HUB_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")
