"""HTTPS behind nginx: forwarded headers believed only from nginx, Secure cookies on HTTPS
answers (``HUB_HTTPS=auto``), and the client address the login throttle keys on.

The settings themselves (``HUB_HTTPS``, redirect, HSTS) are in hub/settings/base.py; the
operator's side in docs/https-deploy.md."""

from ipaddress import ip_address, ip_network

from django.conf import settings

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST")


def _trusted_networks() -> list:
    return [ip_network(item, strict=False) for item in settings.HUB_TRUSTED_PROXIES]


def from_trusted_proxy(remote_addr: str) -> bool:
    """Whether ``remote_addr`` (the TCP peer gunicorn saw) is one of HUB_TRUSTED_PROXIES."""
    try:
        address = ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in network for network in _trusted_networks())


class ProxyHeadersMiddleware:
    """Drops X-Forwarded-Proto/-For/-Host from any peer that is not a trusted proxy.

    Django believes ``SECURE_PROXY_SSL_HEADER`` from whoever sends it; gunicorn listens on
    127.0.0.1 behind nginx, but a hub run with ``HOST=0.0.0.0`` or a misplaced bind would let a
    phone claim HTTPS (and so receive Secure cookies over plain HTTP) or pick the address the
    login throttle counts. Outside ``HUB_BEHIND_PROXY`` the headers are never believed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.HUB_BEHIND_PROXY or not from_trusted_proxy(
            request.META.get("REMOTE_ADDR", "")
        ):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


class SecureCookiesMiddleware:
    """With ``HUB_HTTPS=auto`` every cookie of an answer to an HTTPS request is Secure.

    A village hub serves plain HTTP at balai.lan until its certificate arrives and HTTPS on its
    public name after, with one settings file: the session and CSRF cookies cannot be Secure
    always (no admin login before the certificate) nor never (a session cookie sent in clear on
    the open Wi-Fi)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.HUB_HTTPS_MODE == "auto" and request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response
