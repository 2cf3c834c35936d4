"""Admin sessions that end after an idle hour, without a database write on every request.

A session ends ``SESSION_COOKIE_AGE`` seconds (``HUB_SESSION_IDLE_SECONDS``) after the last
request that refreshed it. Django's ``SESSION_SAVE_EVERY_REQUEST`` refreshes it on every admin
request: one write to the SQLite file per click, while a clerk pages through a queue. This
refreshes it at most once per ``HUB_SESSION_REFRESH_SECONDS`` (60 by default), so a session ends
between ``idle - refresh`` and ``idle`` seconds after the last request: 59 to 60 minutes by
default. Villagers have no session and never get one from here.
"""

import time

from django.conf import settings

REFRESHED_KEY = "_balai_refreshed"


class SessionRefreshMiddleware:
    """Marks a non-empty session as modified when it was last saved more than the refresh
    interval ago (placed after ``SessionMiddleware``, which saves it on the way out)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty() or response.status_code >= 500:
            return response
        now = int(time.time())
        if now - session.get(REFRESHED_KEY, 0) >= settings.HUB_SESSION_REFRESH_SECONDS:
            session[REFRESHED_KEY] = now  # marks it modified: SessionMiddleware saves it
        return response
