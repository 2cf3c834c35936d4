"""Setting the village identity: once, from the list, read-only afterwards."""

import pytest
from django.core.management import CommandError, call_command

from hub.core.regions import VillageCodeError
from hub.site.models import VillageSettings
from hub.site.services import UnlistedNames, village_identity_set

pytestmark = pytest.mark.django_db


def test_command_sets_code_and_official_names(capsys):
    # when
    call_command("village_set_code", "15.03.01.2021")
    # then
    village = VillageSettings.load()
    assert village.village_code == "1503012021"
    assert village.village_name == "Bukit Berantai"
    assert village.display_name == "Desa Bukit Berantai"
    assert village.code_from_list
    assert "15.03.01.2021 Desa Bukit Berantai" in capsys.readouterr().out


def test_same_code_again_changes_nothing():
    village_identity_set(code="1503012021")
    village_identity_set(code="15.03.01.2021")
    assert VillageSettings.load().village_code == "1503012021"


def test_changing_a_set_code_is_refused_without_force():
    # given a hub with its code
    village_identity_set(code="15.03.01.2021")
    # when another code is given
    with pytest.raises(CommandError, match="sudah memakai kode 15.03.01.2021"):
        call_command("village_set_code", "11.01.01.2001")
    # then nothing changed
    assert VillageSettings.load().village_code == "1503012021"
    # and --force replaces it
    call_command("village_set_code", "11.01.01.2001", "--force")
    assert VillageSettings.load().village_name == "Keude Bakongan"


def test_malformed_code_changes_nothing():
    with pytest.raises(CommandError, match="harus 10 angka"):
        call_command("village_set_code", "15.03.01")
    assert VillageSettings.load().village_code == ""


def test_unlisted_code_needs_explicit_acceptance_and_names():
    # a new village split off after the 2025 list
    with pytest.raises(VillageCodeError, match="tidak ada dalam daftar resmi"):
        village_identity_set(code="15.03.01.2999")
    with pytest.raises(VillageCodeError, match="hanya diterima dengan nama"):
        village_identity_set(code="15.03.01.2999", accept_unlisted=True)
    village = village_identity_set(
        code="15.03.01.2999",
        accept_unlisted=True,
        names=UnlistedNames("Bukit Baru", "Batang Asai", "Kabupaten Sarolangun", "Jambi"),
    )
    assert village.village_name == "Bukit Baru"
    assert not village.code_from_list


def test_identity_is_read_only_in_the_admin(admin_client, village):
    # when an administrator posts a different code through the settings form
    url = f"/admin/settings/site/villagesettings/{village.pk}/"
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "15.03.01.2021" in response.content.decode()
    response = admin_client.post(
        url,
        {
            "village_code": "1101012001",
            "village_name": "Lain",
            "address": "Jl. Baru",
            "phone": "",
            "whatsapp": "",
            "email": "",
            "office_hours": "",
            "logo": "",
        },
    )
    # then the editable fields change and the identity does not
    assert response.status_code == 302
    village = VillageSettings.load()
    assert village.address == "Jl. Baru"
    assert village.village_code == "1503012021"
    assert village.village_name == "Bukit Berantai"
