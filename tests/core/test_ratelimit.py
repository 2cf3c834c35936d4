"""Villager-facing rate limits (hub.core.ratelimit): letter status lookups, searches; the
marketplace's are in tests/marketplace/test_abuse.py.

Each test is an attack from one address; what must be seen is a 429 page in the villager's
language with Retry-After, nothing leaked, no 500, and other addresses unaffected.
"""

import pytest
from django.core.cache import caches

from hub.core.ratelimit import address_in, client_address, retry_after

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.HUB_RATE_LIMITS = {"lookup": (3, 300), "search": (4, 60), "page-query": (60, 60)}
    return settings.HUB_RATE_LIMITS


def test_letter_status_guessing_is_limited_too(client, limits):
    answers = [
        client.post("/surat/status/", {"code": f"X{n}", "phone": "081234567890"}) for n in range(5)
    ]
    assert [a.status_code for a in answers][-2:] == [429, 429]


def test_search_flood_gets_429_in_the_villagers_language(client, limits, home):
    # when one address sends 6 searches in a minute (the limit is 4)
    answers = [client.get("/cari/", {"q": f"padi {n}"}) for n in range(6)]
    # then the last two are refused with the page in Indonesian
    assert [a.status_code for a in answers] == [200] * 4 + [429] * 2
    assert "Tunggu 1 menit" in answers[-1].content.decode()
    # and in English for a villager who chose English
    client.cookies["balai_bahasa"] = "en"
    english = client.get("/cari/", {"q": "padi lagi"})
    assert english.status_code == 429
    assert "Too many requests" in english.content.decode()
    assert english["Content-Language"] == "en"


def test_behind_nginx_the_forwarded_address_is_the_client(rf, settings):
    settings.HUB_BEHIND_PROXY = True
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.20.0.9", REMOTE_ADDR="127.0.0.1")
    assert client_address(request) == "10.20.0.9"
    settings.HUB_BEHIND_PROXY = False
    # without nginx the header is the client's own words and is not trusted
    assert client_address(request) == "127.0.0.1"


def test_a_broken_cache_lets_the_request_through(rf, limits, monkeypatch):
    # given a cache that fails (what a real one may do): never a 500 for the villager
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(caches["ratelimit"], "incr", broken)
    assert retry_after(rf.get("/cari/?q=x"), "search") == 0


@pytest.mark.parametrize(
    ("address", "networks", "expected"),
    [
        ("127.0.0.1", [], True),
        ("::1", [], True),
        ("10.20.0.9", [], False),
        ("10.20.0.9", ["10.20.0.0/24"], True),
        ("10.20.1.9", ["10.20.0.0/24", "bad"], False),
        ("192.0.2.10", ["192.0.2.10"], True),
        ("", ["0.0.0.0/0"], False),
        ("not-an-ip", ["0.0.0.0/0"], False),
    ],
)
def test_address_in(address, networks, expected):
    assert address_in(address, networks) is expected


def test_checks_refuse_bad_limit_settings(settings):
    from hub.core.checks import abuse_limits_check

    # given a typo in the monitoring list, a warning level under the critical one, a zero limit
    settings.HUB_HEALTH_DETAIL_ADDRESSES = ["10.0.0.5", "10.0.0.300"]
    settings.HUB_DISK_WARN_FREE_BYTES = 1
    settings.HUB_HEALTH_MIN_FREE_BYTES = 2
    settings.HUB_RATE_LIMITS = {"search": (0, 60)}
    # then each is named at startup
    ids = sorted(message.id for message in abuse_limits_check(None))
    assert ids == ["balai.E030", "balai.E031", "balai.W030"]
