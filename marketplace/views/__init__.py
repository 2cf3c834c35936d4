"""Marketplace pages: ``village`` (the BUMDes shop on a village hub) and ``province`` (the
province market on the upstream). Views parse the request and call a selector or a service."""

from hub.core.ratelimit import client_address

__all__ = ["client_address"]
