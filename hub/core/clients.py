"""Who is asking, for rate limits and lockouts: the client's address, trusted from nginx only.

One definition for the marketplace's and the letters' rate limits, the learners' PIN limit and
django-axes (``AXES_CLIENT_IP_CALLABLE``)."""

from django.conf import settings

from hub.core.https import from_trusted_proxy


def client_address(request) -> str:
    """The client's address: behind the hub's nginx (``HUB_BEHIND_PROXY``) every request comes
    from 127.0.0.1, so there the address nginx appended to X-Forwarded-For (the last) is the
    client, when the request came from a trusted proxy (``HUB_TRUSTED_PROXIES``); else the TCP
    peer. Without a proxy that header is whatever the client wrote and is not trusted.
    ProxyHeadersMiddleware has already removed a forwarded header nginx did not set."""
    if settings.HUB_BEHIND_PROXY and from_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")
