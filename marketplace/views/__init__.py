"""Marketplace pages: ``village`` (the BUMDes shop on a village hub) and ``province`` (the
province market on the upstream). Views parse the request and call a selector or a service."""

from django.conf import settings


def client_address(request) -> str:
    """The buyer's address for the rate limit. Behind the hub's nginx every request comes from
    127.0.0.1, so there the address nginx appended (the last in X-Forwarded-For) is the client;
    without a proxy that header is whatever the client wrote and is not trusted."""
    if settings.HUB_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")
