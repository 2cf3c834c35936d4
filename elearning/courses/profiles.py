"""Learner profiles' small parts: the PIN hasher, the nickname's normal form, and the signed
cookie that says which profile this phone is "logged in" as.

A 4-digit PIN has 10,000 values, so no hash makes a stolen database safe: what protects a
profile is the lock after wrong tries (``services.learner_login``), and the hash only keeps the
PIN out of plain sight. So the hasher is PBKDF2-SHA256 with a random salt and 20,000 iterations,
not Django's password default of 1,000,000 (measured on the 2-core dev VM under load: 44 ms vs
2.1 s per check; a Pi is slower still, and a login must not take seconds there).

The login cookie holds the profile's id and its ``login_version``; a new PIN bumps the version,
which signs out every phone still holding the old cookie.
"""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core import signing

COOKIE_NAME = "belajar_profil"
SALT = "elearning.courses.profile"
MAX_AGE = 180 * 24 * 3600
PIN_LENGTH = 4


class LearnerPinHasher(PBKDF2PasswordHasher):
    """Salted PBKDF2-SHA256 cheap enough for a Pi; see the module docstring for why."""

    algorithm = "pbkdf2_pin"
    iterations = 20_000


def pin_valid(pin: str) -> bool:
    return isinstance(pin, str) and len(pin) == PIN_LENGTH and pin.isascii() and pin.isdigit()


def pin_hash(pin: str) -> str:
    hasher = LearnerPinHasher()
    return hasher.encode(pin, hasher.salt())


def pin_matches(pin: str, encoded: str) -> bool:
    return LearnerPinHasher().verify(pin, encoded)


def pin_burn() -> None:
    """Spend the time of one PIN check, so an unknown nickname answers as slowly as a known."""
    LearnerPinHasher().encode(secrets.token_hex(2), "x" * 22)


def address_key(address: str) -> str:
    """A client address as the wrong-PIN count keeps it: a hash keyed with the hub's secret."""
    return hashlib.sha256(f"{settings.SECRET_KEY}|pin|{address}".encode()).hexdigest()


def nickname_clean(raw) -> str:
    return " ".join(str(raw or "").split())


def nickname_key(nickname: str) -> str:
    return nickname_clean(nickname).casefold()


def login_cookie_value(learner) -> str:
    return signing.dumps({"l": learner.pk, "v": learner.login_version}, salt=SALT)


def login_cookie_read(request) -> tuple[int, int] | None:
    """(profile id, login version) from the phone's cookie; None when absent or forged."""
    raw = request.COOKIES.get(COOKIE_NAME)
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not all(type(data.get(k)) is int for k in ("l", "v")):
        return None
    return data["l"], data["v"]


def login_cookie_set(response, learner) -> None:
    response.set_cookie(
        COOKIE_NAME,
        login_cookie_value(learner),
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        path="/belajar/",
    )


def login_cookie_clear(response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/belajar/", samesite="Lax")
