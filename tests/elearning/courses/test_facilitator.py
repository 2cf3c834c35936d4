"""The facilitator's view in the admin (pendamping, like Kolibri's coach view): a user of the
"Pendamping" group sees the groups naming them, and only those — per learner per course the
lessons completed and best quiz scores, and the CSV; sets a new PIN for their own learners.
Officials manage groups and profiles in the "Kursus" menu."""

import csv
import io

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from elearning.courses import services
from elearning.courses.models import Learner, LearnerGroup
from elearning.courses.progress import Progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator(db):
    user = User.objects.create_user("bu-guru", password="rahasia-panjang-1")
    user.groups.add(Group.objects.get(name="Pendamping"))
    return user


@pytest.fixture
def groups(learner_group, facilitator):
    """The facilitator's group (Kelompok Tani Maju) and another one they do not facilitate."""
    learner_group.facilitators.add(facilitator)
    return learner_group, LearnerGroup.objects.create(name="Kelas Paket C", kind="kelas")


@pytest.fixture
def progress_made(groups, learner_make, lessons, quiz):
    """Siti (Tani Maju) finished lesson 1 and scored 50 on the quiz; Budi (Tani Maju) did
    nothing; Rina (Paket C) passed the quiz."""
    mine, other = groups
    siti, budi = learner_make("Siti"), learner_make("Budi")
    rina = learner_make("Rina", group=other)
    for learner, lesson_done, score in ((siti, True, 50), (rina, False, 100)):
        progress = Progress.for_learner(learner)
        if lesson_done:
            progress.mark_done(lessons[0])
        progress.record_score(quiz, score)
        progress.save(None)
    return siti, budi, rina


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_facilitator_sees_only_the_groups_naming_them(facilitator, progress_made, groups):
    mine, other = groups
    client = client_for(facilitator)
    # when the facilitator opens "Kemajuan pelajar"
    listing = client.get("/admin/belajar/pendamping/")
    # then only their group is listed
    assert listing.status_code == 200
    assert "Kelompok Tani Maju" in listing.text and "Kelas Paket C" not in listing.text
    # and the group's page shows per learner per course lessons done and best scores
    page = client.get(f"/admin/belajar/pendamping/{mine.pk}/")
    assert page.status_code == 200
    assert "Siti" in page.text and "1 / 2" in page.text and "Merawat tanaman: 50" in page.text
    assert "Belum mulai:" in page.text and "Budi" in page.text
    assert "Rina" not in page.text
    # when they try the other group's page, its CSV, or a new PIN for its learner
    rina = progress_made[2]
    before = Learner.objects.get(pk=rina.pk).pin_hash
    refused = [
        client.get(f"/admin/belajar/pendamping/{other.pk}/"),
        client.get(f"/admin/belajar/pendamping/{other.pk}/?format=csv"),
        client.post(f"/admin/belajar/pendamping/{other.pk}/pin/{rina.pk}/", {"pin": "0000"}),
        client.post(f"/admin/belajar/pendamping/{mine.pk}/pin/{rina.pk}/", {"pin": "0000"}),
    ]
    # then nothing is there for them, and Rina's PIN is unchanged
    assert [r.status_code for r in refused] == [404, 404, 404, 404]
    assert Learner.objects.get(pk=rina.pk).pin_hash == before


def test_the_group_csv_has_a_row_per_learner_per_course_started(facilitator, progress_made, groups):
    mine, _other = groups
    # when the facilitator downloads the CSV
    response = client_for(facilitator).get(f"/admin/belajar/pendamping/{mine.pk}/?format=csv")
    # then it has Siti's row only (Budi has not started; Rina is in another group)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["kelompok", "nama_panggilan", "kursus"]
    assert rows[1:] == [
        ["Kelompok Tani Maju", "Siti", "Budidaya cabai", "1", "2", "tidak", "Merawat tanaman: 50"]
    ]


def test_without_the_permission_there_is_no_group_view(progress_made, groups):
    # given an admin user who is not a facilitator (an official editing announcements)
    user = User.objects.create_user("editor", password="rahasia-panjang-2")
    user.groups.add(Group.objects.get(name="Editors"))
    client = client_for(user)
    # when they open the facilitator's pages
    listing = client.get("/admin/belajar/pendamping/")
    page = client.get(f"/admin/belajar/pendamping/{groups[0].pk}/")
    # then Wagtail refuses them (back to the dashboard with "no permission"), and the menu does
    # not offer it
    for response in (listing, page):
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert "/admin/belajar/pendamping/" not in client.get("/admin/").text


def test_a_facilitator_sets_a_new_pin_that_unlocks_a_learner(facilitator, progress_made, groups):
    # given Siti locked out by wrong PINs
    siti = progress_made[0]
    Learner.objects.filter(pk=siti.pk).update(failed_pins=10)
    client = client_for(facilitator)
    # when the facilitator tries a bad PIN, then a good one
    bad = client.post(f"/admin/belajar/pendamping/{groups[0].pk}/pin/{siti.pk}/", {"pin": "12"})
    siti.refresh_from_db()
    assert bad.status_code == 302 and siti.failed_pins == 10
    client.post(f"/admin/belajar/pendamping/{groups[0].pk}/pin/{siti.pk}/", {"pin": "8642"})
    # then Siti logs in with the new PIN
    assert services.learner_login(nickname="Siti", pin="8642").pk == siti.pk


@pytest.mark.parametrize("screen", ["kelompok", "pelajar"])
def test_officials_screens_for_groups_and_profiles_open(admin_client, home, screen, progress_made):
    response = admin_client.get(f"/admin/belajar/{screen}/")
    assert response.status_code == 200
    assert "Kelompok Tani Maju" in response.text


def test_profiles_cannot_be_made_in_the_admin(admin_client, home, learner_group):
    # when even a superuser opens the "add" screen of profiles or posts one
    response = admin_client.get("/admin/belajar/pelajar/new/")
    posted = admin_client.post(
        "/admin/belajar/pelajar/new/", {"nickname": "Palsu", "group": learner_group.pk}
    )
    # then Wagtail refuses (profiles are made by learners, with their own PIN)
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert posted.status_code == 302 and not Learner.objects.exists()
