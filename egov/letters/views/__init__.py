"""Letter pages: ``village`` (the villager's requests, on a village hub) and ``verify`` (the
public verification page, on both roles). Views parse the request and call a selector or a
service."""

from hub.core.ratelimit import client_address

__all__ = ["client_address"]
