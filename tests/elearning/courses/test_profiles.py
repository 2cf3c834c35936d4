"""Optional learner profiles (nickname + 4-digit PIN) on the course pages, without JavaScript:
made and logged in with plain forms; a wrong PIN refused; the nickname locked after wrong PINs
so the 10,000 PINs cannot be tried; the phone's progress merged into the profile on login;
certificates in the profile's nickname; nothing of a profile in what syncs up."""

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from elearning.courses import services
from elearning.courses.models import (
    Certificate,
    CourseMonthStat,
    Learner,
    LearnerGroup,
    PinFailure,
)
from elearning.courses.profiles import COOKIE_NAME as LOGIN_COOKIE
from elearning.courses.progress import COOKIE_NAME, Progress, short_id
from hub.sync.registry import spec_for

pytestmark = pytest.mark.django_db


def quiz_post(client, quiz, answers):
    questions = list(quiz.questions.all())
    data = {f"q-{q.pk}": a for q, a in zip(questions, answers, strict=True)}
    return client.post(f"/belajar/pelajaran/{quiz.lesson_id}/kuis/{quiz.pk}/", data)


def login(client, nickname="Siti", pin="2468", **extra):
    return client.post("/belajar/profil/masuk/", {"nickname": nickname, "pin": pin, **extra})


def test_a_profile_is_made_with_a_plain_form_and_the_pin_is_stored_salted(
    client, learner_group, home
):
    # given the profile page, without any JavaScript
    page = client.get("/belajar/profil/")
    assert page.status_code == 200 and "Kelompok Tani Maju" in page.text
    assert "<script" not in page.text.split("<main", 1)[-1]
    # when two learners make profiles with the same PIN
    for name in ("Siti", "Budi"):
        response = Client().post(
            "/belajar/profil/baru/",
            {
                "nickname": f" {name} ",
                "group": learner_group.pk,
                "pin": "2468",
                "pin_again": "2468",
            },
        )
        assert response.status_code == 302, response.text
        assert response.cookies[LOGIN_COOKIE].value
    # then each PIN is hashed with its own salt by the cheap PIN hasher, never kept as typed
    siti, budi = Learner.objects.get(nickname="Siti"), Learner.objects.get(nickname="Budi")
    assert siti.pin_hash.startswith("pbkdf2_pin$20000$") and "2468" not in siti.pin_hash
    assert siti.pin_hash != budi.pin_hash
    assert siti.group == learner_group


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"nickname": "3171234567890001"}, "tanpa nomor telepon atau NIK"),
        ({"nickname": "S"}, "paling sedikit 2 huruf"),
        ({"pin": "12a4", "pin_again": "12a4"}, "PIN harus 4 angka"),
        ({"pin": "12345", "pin_again": "12345"}, "PIN harus 4 angka"),
        ({"pin_again": "1111"}, "Kedua PIN tidak sama"),
        ({"group": "999"}, "Pilih kelompok"),
        ({"group": "x"}, "Pilih kelompok"),
        ({"nickname": "SITI"}, "sudah dipakai"),
    ],
)
def test_a_bad_profile_is_refused_and_nothing_is_made(
    client, learner_make, learner_group, home, fields, message
):
    # given a profile "Siti" already on the hub
    learner_make()
    data = {"nickname": "Wati", "group": learner_group.pk, "pin": "1357", "pin_again": "1357"}
    data.update(fields)
    # when a learner tries to make one with the bad field
    response = client.post("/belajar/profil/baru/", data)
    # then the form comes back saying why; no profile, no login
    assert response.status_code == 400
    assert message in response.text
    assert Learner.objects.count() == 1
    assert LOGIN_COOKIE not in response.cookies


def test_a_wrong_pin_is_refused_and_counted(client, learner_make, home):
    # given a profile
    learner = learner_make()
    # when someone logs in with its nickname and a wrong PIN, and with an unknown nickname
    wrong = login(client, pin="1111")
    unknown = login(client, nickname="Tidak Ada")
    # then both get the same refusal, no login, and the wrong PIN is counted
    for response in (wrong, unknown):
        assert response.status_code == 403
        assert "Nama panggilan atau PIN salah" in response.text
        assert LOGIN_COOKIE not in response.cookies
    learner.refresh_from_db()
    assert learner.failed_pins == 1
    # when the right PIN follows (any case of the nickname)
    right = login(client, nickname="siti")
    # then the phone is logged in and the count cleared
    assert right.status_code == 302
    learner.refresh_from_db()
    assert learner.failed_pins == 0 and learner.locked_until is None
    assert "Anda masuk sebagai" in client.get("/belajar/profil/").text


def test_pin_brute_force_is_locked_after_a_few_tries(client, learner_make, home, settings):
    # given a profile with PIN 2468, and a hub that waits 15 min after 5 wrong PINs and locks
    # the profile for good after 10
    settings.LEARNER_PIN_LOCK_AFTER, settings.LEARNER_PIN_MAX_FAILURES = 5, 10
    settings.LEARNER_PIN_LOCK_SECONDS = 900
    learner = learner_make()
    # when someone tries the PINs from 0000 up through the page
    answers = [login(client, pin=f"{n:04d}").status_code for n in range(6)]
    # then the 5th wrong one locks the profile: the 6th try is not even checked
    assert answers == [403, 403, 403, 403, 429, 429]
    locked = login(client, pin="2468")
    assert locked.status_code == 429 and "coba lagi 15 menit lagi" in locked.text
    learner.refresh_from_db()
    assert learner.failed_pins == 5 and learner.locked_until > timezone.now()

    # when they come back after each wait and go on guessing
    now = timezone.now()
    for n in range(6, 100):
        now += timedelta(seconds=901)
        try:
            services.learner_login(nickname="Siti", pin=f"{n:04d}", now=now)
        except services.ProfileLocked:
            pass
        except services.ProfileRefused:
            continue
        learner.refresh_from_db()
        if learner.failed_pins >= 10:
            break
    # then after 10 wrong PINs in all the profile stays locked, whatever the time, even for the
    # right PIN: at most 10 of the 10,000 PINs were ever checked
    learner.refresh_from_db()
    assert learner.failed_pins == 10
    with pytest.raises(services.ProfileLocked, match="pendamping"):
        services.learner_login(nickname="Siti", pin="2468", now=now + timedelta(days=30))
    learner.refresh_from_db()
    assert learner.failed_pins == 10

    # when the group's facilitator sets a new PIN
    services.learner_pin_reset(learner=learner, pin="9753")
    # then the learner logs in with it, and not with the old one
    with pytest.raises(services.ProfileRefused):
        services.learner_login(nickname="Siti", pin="2468")
    assert services.learner_login(nickname="Siti", pin="9753").pk == learner.pk


def test_one_phone_trying_a_pin_on_every_nickname_is_stopped_before_locking_them_all(
    learner_make, home, settings
):
    # given 30 profiles, and a hub allowing one address 20 wrong PINs an hour
    settings.LEARNER_PIN_ADDRESS_LIMIT, settings.LEARNER_PIN_ADDRESS_WINDOW = 20, 3600
    for n in range(30):
        learner_make(nickname=f"Petani {n}", pin="2468")
    phone = Client(REMOTE_ADDR="192.168.4.23")
    # when one phone tries PIN 1234 on every nickname
    answers = [login(phone, nickname=f"Petani {n}", pin="1234").status_code for n in range(30)]
    # then after 20 wrong PINs it is refused before any profile is tried
    assert answers == [403] * 20 + [429] * 10
    assert "Terlalu banyak PIN salah dari ponsel ini" in login(phone, nickname="Petani 29").text
    assert Learner.objects.filter(failed_pins__gt=0).count() == 20
    # and the address is kept only as a keyed hash
    assert not PinFailure.objects.filter(address_key__contains="192.168").exists()
    # while another phone logs in as usual
    assert login(Client(REMOTE_ADDR="192.168.4.77"), nickname="Petani 29").status_code == 302


def test_a_new_pin_signs_out_phones_still_holding_the_old_login(client, learner_make, home):
    # given a phone logged in
    learner = learner_make()
    login(client)
    assert "Anda masuk sebagai" in client.get("/belajar/profil/").text
    # when the facilitator sets a new PIN
    services.learner_pin_reset(learner=learner, pin="1357")
    # then that phone is no longer logged in
    assert "Anda masuk sebagai" not in client.get("/belajar/profil/").text


def test_logging_in_moves_the_phones_progress_into_the_profile(
    client, learner_make, lessons, quiz, home
):
    # given a profile that passed the quiz with 100 on another phone
    learner = learner_make()
    other = Client()
    login(other)
    quiz_post(other, quiz, ["0", "1"])
    # and this phone, without a profile, that finished lesson 1 and scored 50 on the quiz
    client.post(f"/belajar/pelajaran/{lessons[0].pk}/selesai/")
    quiz_post(client, quiz, ["1", "1"])
    phone = SimpleNamespace(COOKIES={COOKIE_NAME: client.cookies[COOKIE_NAME].value})
    device = Progress.from_device(phone)
    assert device.best_score(quiz) == 50 and device.lesson_done(lessons[0])
    started_before = CourseMonthStat.objects.get().started

    # when this phone logs in
    response = login(client, next=f"/belajar/kursus/{lessons[0].course_id}/")

    # then the profile holds both lessons done (an OR) and the best score (100), the phone's
    # own cookie is emptied, and the page it came from says the course is done
    assert response.status_code == 302
    assert response["Location"] == f"/belajar/kursus/{lessons[0].course_id}/"
    assert response.cookies[COOKIE_NAME].value == ""
    learner.refresh_from_db()
    profile = Progress.for_learner(learner)
    assert profile.lesson_done(lessons[0]) and profile.lesson_done(lessons[1])
    assert profile.best_score(quiz) == 100
    page = client.get(f"/belajar/kursus/{lessons[0].course_id}/")
    assert "2 dari 2 pelajaran selesai (Siti)" in page.text
    # and the month's figures did not count this phone again
    assert CourseMonthStat.objects.get().started == started_before


def test_a_better_score_on_the_phone_wins_over_the_profiles(client, learner_make, quiz, home):
    # given a profile that scored 50 and a phone that scored 100
    learner = learner_make()
    learner.progress = {"d": [], "s": {short_id(quiz.pk): 50}, "c": {}}
    learner.save()
    quiz_post(client, quiz, ["0", "1"])
    # when the phone logs in
    login(client)
    # then the profile keeps 100
    learner.refresh_from_db()
    assert Progress.for_learner(learner).best_score(quiz) == 100


def test_logging_out_leaves_the_progress_in_the_profile(client, learner_make, lessons, home):
    # given a logged-in phone that finishes a lesson
    learner = learner_make()
    login(client)
    client.post(f"/belajar/pelajaran/{lessons[0].pk}/selesai/")
    # when it logs out
    response = client.post("/belajar/profil/keluar/")
    # then the phone starts afresh and the profile keeps the lesson
    assert response.cookies[LOGIN_COOKIE].value == ""
    assert (
        "0 dari 2 pelajaran selesai di perangkat ini"
        in client.get(f"/belajar/kursus/{lessons[0].course_id}/").text
    )
    learner.refresh_from_db()
    assert Progress.for_learner(learner).lesson_done(lessons[0])


def test_a_profiles_certificate_carries_its_nickname_only(client, learner_make, lessons, home):
    # given a logged-in learner who finished the course
    learner_make()
    login(client)
    for lesson in lessons:
        client.post(f"/belajar/pelajaran/{lesson.pk}/selesai/")
    # when they ask for the certificate, posting another name
    response = client.post(
        f"/belajar/kursus/{lessons[0].course_id}/sertifikat/", {"nickname": "Siti Aminah 0812"}
    )
    # then it is made out to the profile's nickname, nothing else
    assert response.status_code == 302
    certificate = Certificate.objects.get()
    assert certificate.nickname == "Siti"
    assert "Siti" in client.get(response["Location"]).text


def test_nothing_of_a_profile_is_in_what_syncs_up(client, learner_make, lessons, quiz, home):
    # given a logged-in learner in a group who answers a quiz and finishes the course
    learner_make(nickname="Siti Kelompok")
    login(client, nickname="Siti Kelompok")
    client.post(f"/belajar/pelajaran/{lessons[0].pk}/selesai/")
    quiz_post(client, quiz, ["0", "1"])
    # then profiles and groups do not sync at all
    assert spec_for(Learner) is None and spec_for(LearnerGroup) is None
    # and the month's figures that go up hold counts only: no nickname, group or profile id
    stat = CourseMonthStat.objects.get()
    assert (stat.started, stat.completed) == (1, 1)
    sent = {f.name: getattr(stat, f.attname) for f in spec_for(CourseMonthStat).wire_fields()}
    text = json.dumps(sent, default=str)
    learner = Learner.objects.get()
    for personal in ("Siti", "Kelompok Tani Maju", learner.pin_hash, f'"{learner.pk}"'):
        assert personal not in text
