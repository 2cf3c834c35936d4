"""Village officials' admin for service standards: their own services are edited, the
kabupaten's are read-only, and every screen speaks Indonesian."""

import pytest
from django.urls import reverse

from egov.services.models import ServiceStandard
from tests.core.test_admin_language import assert_indonesian

pytestmark = pytest.mark.django_db


def _post(**fields):
    data = {
        "title": "Surat keterangan usaha",
        "category": "usaha",
        "summary": "",
        "requirements": "KTP-el\nKartu Keluarga",
        "procedure": "Ajukan di kantor desa",
        "duration": "1 hari kerja",
        "free_of_charge": "on",
        "cost": "",
        "product": "SKU",
        "complaints": "Kepala desa",
        "legal_basis": "",
        "facilities": "",
        "competence": "",
        "oversight": "",
        "staffing": "",
        "guarantee": "",
        "security": "",
        "evaluation": "",
        "office": "",
        "letter_code": "usaha",
        "region": "",
        "active": "on",
    }
    data.update(fields)
    return data


def test_an_official_adds_the_village_s_own_service(editor_client, village):
    # when an official fills in the form
    response = editor_client.post(reverse("egov_service_admin:add"), _post())
    # then the service is the village's, with its letter link
    assert response.status_code == 302, response.content.decode()[:2000]
    service = ServiceStandard.objects.get()
    assert (service.origin, service.letter_code) == (village.village_code, "usaha")


def test_a_paid_service_without_its_cost_is_refused_in_the_form(editor_client):
    response = editor_client.post(
        reverse("egov_service_admin:add"), _post(free_of_charge="", cost="")
    )
    assert response.status_code == 200
    assert "centang “gratis”" in response.content.decode()
    assert not ServiceStandard.objects.exists()


def test_a_kabupaten_service_opens_read_only_and_cannot_be_deleted(editor_client, service_factory):
    # given a service from the kabupaten
    service = service_factory(upstream="1503")
    # when an official opens its edit form, posts to it, and tries to delete it
    opened = editor_client.get(reverse("egov_service_admin:edit", args=[service.pk]))
    posted = editor_client.post(
        reverse("egov_service_admin:edit", args=[service.pk]), _post(title="Diubah")
    )
    deleted = editor_client.post(reverse("egov_service_admin:delete", args=[service.pk]))
    # then they are sent to the read-only view, and nothing changed
    inspect = reverse("egov_service_admin:inspect", args=[service.pk])
    assert opened.status_code == 302 and opened["Location"] == inspect
    assert posted.status_code == 302 and posted["Location"] == inspect
    # (the admin answers a refusal with a redirect to the dashboard and a message)
    assert deleted.status_code == 302 and deleted["Location"] == "/admin/"
    assert ServiceStandard.objects.get(pk=service.pk).title == "Perekaman KTP-el"
    assert editor_client.get(inspect).status_code == 200


def test_a_user_without_the_permissions_sees_nothing(client, django_user_model, service_factory):
    service = service_factory()
    user = django_user_model.objects.create_user("tamu", password="rahasia-tamu-123")
    client.force_login(user)
    assert client.get(reverse("egov_service_admin:edit", args=[service.pk])).status_code in (
        302,
        403,
    )
    assert client.get(reverse("egov_service_admin:index")).status_code in (302, 403)


def test_the_admin_screens_speak_indonesian(editor_client, service_factory, office_factory):
    office = office_factory()
    service = service_factory(office=office)
    assert_indonesian(
        editor_client,
        [
            reverse("egov_service_admin:index"),
            reverse("egov_service_admin:add"),
            reverse("egov_service_admin:edit", args=[service.pk]),
            reverse("egov_service_admin:inspect", args=[service.pk]),
            reverse("egov_office_admin:index"),
            reverse("egov_office_admin:edit", args=[office.pk]),
        ],
    )
