"""Admin login on an open network: lockout per user name + address (django-axes), the cheap
refusal while locked, the operator's unlock command, the forwarded headers only from nginx, and
Secure cookies on HTTPS answers."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "rahasia-kantor-desa-2026"
PHONE = "192.168.4.77"
OFFICE_PC = "192.168.4.10"


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how often a password is checked (a PBKDF2 run in production)."""

    algorithm = "md5"
    verified = 0

    def verify(self, password, encoded):
        CountingHasher.verified += 1
        return super().verify(password, encoded)


@pytest.fixture
def official(django_user_model, settings):
    settings.PASSWORD_HASHERS = ["tests.core.test_logins.CountingHasher"]
    settings.AXES_FAILURE_LIMIT = 5
    return django_user_model.objects.create_superuser("sekdes", password=PASSWORD)


def _login(client, password, address=PHONE, username="sekdes", **extra):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def _logged_in(response) -> bool:
    return response.status_code == 302 and "balai_sesi" in response.cookies


def _lock(client, address=PHONE):
    responses = [_login(client, f"tebakan-{i}", address) for i in range(5)]
    assert [r.status_code for r in responses[:4]] == [200] * 4  # the form again, with an error
    assert responses[4].status_code == 429
    return responses[4]


def test_wrong_passwords_lock_the_pair_and_the_right_one_is_then_refused(client, official):
    # given: five wrong passwords for sekdes from a phone on the Wi-Fi
    locked = _lock(client)
    # then: the lockout page, in Indonesian, saying how long, with Retry-After
    page = locked.content.decode()
    assert "Terlalu banyak percobaan masuk" in page
    assert "dikunci selama 15 menit" in page
    assert locked["Retry-After"] == "900"
    # when: the right password from the same phone
    response = _login(client, PASSWORD)
    # then: refused, no session
    assert response.status_code == 429
    assert not _logged_in(response)
    assert AccessAttempt.objects.get(username="sekdes", ip_address=PHONE).failures_since_start == 5


def test_while_locked_no_password_is_checked(client, official):
    _lock(client)
    CountingHasher.verified = 0
    for _ in range(10):
        assert _login(client, PASSWORD).status_code == 429
    for _ in range(10):
        assert _login(client, "tebakan-lagi").status_code == 429
    # the refusal comes before any hashing (a core for about a second each in production)
    assert CountingHasher.verified == 0
    # and a refused attempt neither counts nor extends the lockout
    assert AccessAttempt.objects.get(username="sekdes", ip_address=PHONE).failures_since_start == 5


def test_another_address_and_another_name_are_not_locked(client, official, django_user_model):
    django_user_model.objects.create_user("bumdes", password=PASSWORD, is_staff=True)
    _lock(client)
    # the official logs in from the office PC while the phone is locked out
    assert _logged_in(_login(client, PASSWORD, address=OFFICE_PC))
    client.logout()
    # and the phone may still log in as somebody else (the lock is per name + address)
    assert _logged_in(_login(client, PASSWORD, username="bumdes"))


def test_unlock_command_opens_the_login_again(client, official, capsys):
    _lock(client)
    call_command("login_unlock", "--list")
    assert f"sekdes\t{PHONE}\t5 failures" in capsys.readouterr().out
    # when: the operator unlocks the name
    call_command("login_unlock", "sekdes")
    # then
    assert "Removed 1 record(s)" in capsys.readouterr().out
    assert _logged_in(_login(client, PASSWORD))


def test_unlock_command_by_address_leaves_other_addresses_locked(client, official):
    _lock(client)
    _lock(client, address="192.168.4.78")
    call_command("login_unlock", "--address", PHONE)
    assert _logged_in(_login(client, PASSWORD))
    client.logout()
    assert _login(client, PASSWORD, address="192.168.4.78").status_code == 429


def test_unlock_command_refuses_to_guess(official):
    # tried: no name, no address, no --all; and --all together with a name
    with pytest.raises(CommandError, match="Name what to unlock"):
        call_command("login_unlock")
    with pytest.raises(CommandError, match="--all unlocks everything"):
        call_command("login_unlock", "sekdes", "--all")


def test_a_right_password_resets_the_count(client, official):
    for i in range(4):
        _login(client, f"tebakan-{i}")
    assert _logged_in(_login(client, PASSWORD))
    client.logout()
    # four more wrong ones do not lock: the success started the count again
    for i in range(4):
        assert _login(client, f"tebakan-{i}").status_code == 200


def test_lockout_page_in_english(client, official):
    _lock(client)
    client.cookies["balai_bahasa"] = "en"
    page = _login(client, PASSWORD).content.decode()
    assert "Too many login attempts" in page


def test_forwarded_for_counts_only_from_nginx(client, official, settings):
    settings.HUB_BEHIND_PROXY = True
    # given: a phone talking to gunicorn directly, claiming another address each time
    for i in range(5):
        _login(client, f"tebakan-{i}", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}")
    # then: every failure counted against its real address
    assert AccessAttempt.objects.get(ip_address=PHONE).failures_since_start == 5
    # given: nginx (127.0.0.1) appending the client's address
    response = _login(client, "x", address="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.1.1.5")
    assert response.status_code == 200
    assert AccessAttempt.objects.filter(ip_address="10.1.1.5").exists()


def test_forwarded_proto_believed_only_from_nginx(client, settings):
    settings.HUB_BEHIND_PROXY = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # a phone reaching gunicorn directly and claiming HTTPS is still on HTTP: redirected
    response = client.get("/", REMOTE_ADDR=PHONE, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    # nginx saying so is believed
    response = client.get("/healthz", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="http")
    assert response.status_code in (200, 503)  # /healthz is never redirected


def test_auto_mode_marks_cookies_secure_on_https_only(client, official, settings):
    settings.HUB_HTTPS_MODE = "auto"
    settings.HUB_BEHIND_PROXY = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # over HTTPS (nginx says so): the session and CSRF cookies are Secure
    page = client.get(LOGIN, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    assert page.cookies["csrftoken"]["secure"] is True
    response = _login(
        client,
        PASSWORD,
        address="127.0.0.1",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_FOR=PHONE,
    )
    assert _logged_in(response)
    assert response.cookies["balai_sesi"]["secure"] is True
    client.logout()
    client.cookies.clear()
    # at http://balai.lan before the certificate: the login still works, cookies not Secure
    response = _login(client, PASSWORD, address="127.0.0.1", HTTP_X_FORWARDED_PROTO="http")
    assert _logged_in(response)
    assert not response.cookies["balai_sesi"]["secure"]


def test_a_login_waiting_too_long_for_a_password_check_is_busy_not_wrong(
    client, official, settings
):
    from hub.core.logins import password_check_slot

    settings.HUB_LOGIN_WAIT_SECONDS = 0
    # given: the hub's one password-check slot taken (another login being checked)
    with password_check_slot(0) as granted:
        assert granted
        # when: the official logs in meanwhile
        response = _login(client, PASSWORD)
    # then: "busy, try again", not checked, not counted towards a lockout
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "Server sedang sibuk" in response.content.decode()
    assert not AccessAttempt.objects.exists()
    # and once the slot is free the same login works
    assert _logged_in(_login(client, PASSWORD))


def test_password_check_slots_are_shared_across_threads(settings):
    import threading

    from hub.core.logins import password_check_slot

    settings.HUB_LOGIN_CONCURRENT_CHECKS = 2
    results = []
    with password_check_slot(0) as first, password_check_slot(0) as second:
        thread = threading.Thread(target=lambda: results.append(password_check_slot(0).__enter__()))
        thread.start()
        thread.join()
    # two slots: two had, the third (another thread) refused
    assert (first, second, results) == (True, True, [False])
