"""Who is asking, for rate limits: the client's address, trusted from nginx only."""

from django.conf import settings


def client_address(request) -> str:
    """The client's address. Behind the hub's nginx every request comes from 127.0.0.1, so
    there the address nginx appended (the last in X-Forwarded-For) is the client; without a
    proxy that header is whatever the client wrote and is not trusted."""
    if settings.HUB_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")
