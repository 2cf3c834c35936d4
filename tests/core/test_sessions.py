"""Admin sessions end after an idle hour and are refreshed at most once a minute, not written on
every click (hub.core.sessions); villagers never get a session."""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from hub.core.sessions import REFRESHED_KEY

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"


@pytest.fixture
def clerk(client, django_user_model):
    user = django_user_model.objects.create_superuser("sekdes", password="rahasia-kantor-2026")
    client.force_login(user)
    client.get(ADMIN)  # the first admin page stamps the refresh time
    return client


def _expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_admin_pages_within_the_minute_write_no_session(clerk):
    # given a clerk who has just opened the admin
    before = _expiry(clerk)
    # when they open another page within the refresh interval
    response = clerk.get(ADMIN)
    # then the session row is untouched (no UPDATE of django_session)
    assert response.status_code == 200
    assert _expiry(clerk) == before


def test_a_request_after_the_interval_pushes_the_idle_end_forward(clerk, settings):
    # given a session last refreshed longer ago than the interval, whose idle end is in 10 min
    session = clerk.session
    session[REFRESHED_KEY] = int(time.time()) - settings.HUB_SESSION_REFRESH_SECONDS - 1
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=_now() + timedelta(minutes=10)
    )
    # when the clerk opens a page
    clerk.get(ADMIN)
    # then the idle end is SESSION_COOKIE_AGE from now again
    remaining = (_expiry(clerk) - _now()).total_seconds()
    assert settings.SESSION_COOKIE_AGE - 5 <= remaining <= settings.SESSION_COOKIE_AGE


def test_an_idle_session_past_its_end_is_logged_out(clerk):
    # given a clerk whose session's idle end has passed
    Session.objects.filter(session_key=clerk.session.session_key).update(
        expire_date=_now().replace(year=2000)
    )
    # when they come back, then the admin asks for the login again
    response = clerk.get(ADMIN)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_villagers_get_no_session(client):
    # when a villager opens pages, then no session row or cookie is made
    client.get("/")
    client.get("/pengumuman/")
    assert Session.objects.count() == 0
    assert "balai_sesi" not in client.cookies


def _now():
    return timezone.now()
