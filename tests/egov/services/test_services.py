"""Writing service standards: what is valid, what is refused (and then nothing is saved)."""

import pytest
from django.core.exceptions import ValidationError

from egov.services.models import Office, ServiceStandard, letter_request_path
from egov.services.services import service_create, service_save
from tests.egov.services.conftest import SERVICE_DEFAULTS


def test_a_village_service_is_saved_as_the_village_s_own(village, service_factory):
    # when a village official saves a service
    service = service_factory(letter_code="domisili")

    # then the village owns it and villagers see its checklist and letter link
    assert service.origin == village.village_code and service.rev == 1
    assert service.requirement_list == ["Kartu Keluarga asli", "Berusia 17 tahun"]
    assert service.letter_url == "/surat/ajukan/domisili/"


def test_list_markers_and_blank_lines_are_dropped_from_the_checklist(service_factory):
    # given requirements typed with bullets and blank lines
    service = service_factory(requirements="- KTP-el\n\n• Kartu Keluarga\n  * Pas foto 3x4  \n")

    # then the checklist holds the three items only
    assert service.requirement_list == ["KTP-el", "Kartu Keluarga", "Pas foto 3x4"]


def test_the_letter_link_is_the_letters_form_on_a_village_and_none_upstream(settings):
    # given a village hub: the link opens egov.letters' request form
    assert letter_request_path("pengantar-skck") == "/surat/ajukan/pengantar-skck/"
    # when the same service is shown on the upstream, which takes no letter requests
    settings.ROOT_URLCONF = "hub.urls_upstream"
    # then there is no link to a form that is not there
    assert letter_request_path("pengantar-skck") == ""


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"requirements": "  \n \n"}, "requirements", "paling sedikit satu syarat"),
        ({"procedure": ""}, "procedure", ""),
        ({"free_of_charge": False, "cost": " "}, "cost", "centang “gratis”"),
        ({"category": "judi"}, "category", ""),
        ({"letter_code": "surat-sakti"}, "letter_code", ""),
        ({"region": "15a"}, "region", "2, 4, 6 atau 10 angka"),
        ({"title": "x" * 151}, "title", ""),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(
    db, village, fields, field, message
):
    # when a service with one bad field is saved
    with pytest.raises(ValidationError) as caught:
        service_create(**{**SERVICE_DEFAULTS, **fields})

    # then the field says why, and nothing is saved
    assert field in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[field])
    assert not ServiceStandard.objects.exists()


def test_a_service_from_the_kabupaten_cannot_be_edited_on_the_village(service_factory):
    # given a service that came down from the kabupaten
    service = service_factory(upstream="1503")

    # when a village official edits it
    service.title = "Diubah di desa"
    with pytest.raises(ValidationError) as caught:
        service_save(service=service)

    # then the origin guard says who owns it, and nothing changed
    assert "1503" in " ".join(caught.value.messages)
    assert ServiceStandard.objects.get(pk=service.pk).title == SERVICE_DEFAULTS["title"]


def test_an_office_phone_is_normalised_a_landline_kept_and_a_bad_one_refused(office_factory):
    # when offices are saved with a local phone number and with a bogus one
    office = office_factory(phone="0812 3456 7890")
    landline = office_factory(name="Disdukcapil", phone="0745  123456")
    with pytest.raises(ValidationError) as caught:
        office_factory(name="Kantor palsu", phone="halo")

    # then the good one is stored in +62 form, the bad one refused and not saved
    assert office.phone == "+6281234567890" and landline.phone == "0745 123456"
    assert "phone" in caught.value.message_dict
    assert Office.objects.count() == 2
