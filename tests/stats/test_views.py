"""The upstream's Satu Data table: villages' series summed per kecamatan or kabupaten, the
metadata beside them, a CSV, and nothing for whoever may not see statistics."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings
from django.utils import timezone

from hub.stats.models import StatSeries
from hub.sync.core.journal import applying

pytestmark = pytest.mark.django_db

URL = "/admin/statistik/"
# two villages of one kecamatan of Sarolangun, one of Batanghari
A, B, C = "1503012021", "1503012001", "1504012002"


def series_from(origin, values, *, indicator="surat.permohonan", additive=True, period="2026-11"):
    with applying():
        series = StatSeries(
            origin=origin,
            rev=1,
            indicator=indicator,
            period=period,
            name="Permohonan surat",
            definition="Banyaknya permohonan surat.",
            unit="permohonan",
            method="Menurut tanggal masuk.",
            source='=HYPERLINK("http://x")',
            activity_code="",
            dimensions=["jenis_surat"],
            additive=additive,
            values=[{"d": {"jenis_surat": k}, "v": v} for k, v in values.items()],
            computed_at=timezone.now(),
        )
        series.save()
    return series


@pytest.fixture
def upstream():
    with override_settings(HUB_ROLE="upstream", SYNC_NODE_CODE="15"):
        yield


@pytest.fixture
def villages_reported(upstream):
    series_from(A, {"sktm": 3, "domisili": 1})
    series_from(B, {"sktm": 2})
    series_from(C, {"sktm": 5})


def test_per_kabupaten_the_villages_are_summed(admin_client, villages_reported):
    # when the upstream asks for November per kabupaten
    response = admin_client.get(URL, {"periode": "2026-11", "tingkat": "kabupaten"})
    # then Sarolangun sums its two villages, Batanghari has its one
    rows = [(r.region, r.cells, r.value, r.villages) for r in response.context["table"].rows]
    assert rows == [
        ("1503", ["domisili"], 1, 1),
        ("1503", ["sktm"], 5, 2),
        ("1504", ["sktm"], 5, 1),
    ]
    assert "Sarolangun" in response.content.decode()


def test_a_region_prefix_narrows_to_its_villages(admin_client, villages_reported):
    # when the table is asked per village inside kabupaten Sarolangun
    response = admin_client.get(URL, {"tingkat": "desa", "wilayah": "1503"})
    # then only its two villages are there
    assert {r.region for r in response.context["table"].rows} == {A, B}
    assert response.context["table"].villages == 2


def test_a_median_is_not_summed_above_the_village(admin_client, upstream):
    # given a non-additive indicator from two villages of one kecamatan
    series_from(A, {"sktm": 2.5}, indicator="surat.median_hari", additive=False)
    series_from(B, {"sktm": 4}, indicator="surat.median_hari", additive=False)
    # when it is shown per kecamatan
    response = admin_client.get(URL, {"indikator": "surat.median_hari", "tingkat": "kecamatan"})
    # then no made-up sum: the value is empty, the count of villages is there, and a note says why
    table = response.context["table"]
    assert [(r.region, r.value, r.villages) for r in table.rows] == [("150301", None, 2)]
    assert "tidak dapat dijumlahkan" in response.content.decode()
    # and per village the values are there
    response = admin_client.get(URL, {"indikator": "surat.median_hari", "tingkat": "desa"})
    assert sorted(r.value for r in response.context["table"].rows) == [2.5, 4]


def test_the_csv_carries_the_metadata_and_defuses_formulas(admin_client, villages_reported):
    # when the table is downloaded
    response = admin_client.get(URL, {"tingkat": "kecamatan", "format": "csv"})
    # then each row has the region, the value and the indicator's metadata
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_region = {(r["kode_wilayah"], r["jenis_surat"]): r for r in rows}
    assert by_region[("150301", "sktm")]["nilai"] == "5"
    assert by_region[("150401", "sktm")]["jumlah_desa_melapor"] == "1"
    assert rows[0]["satuan"] == "permohonan" and rows[0]["periode"] == "2026-11"
    # a source typed as a formula is plain text in a spreadsheet
    assert rows[0]["sumber_data"].startswith("'=HYPERLINK")


@pytest.mark.parametrize(
    "params",
    [
        {"indikator": "<script>alert(1)</script>"},
        {"periode": "2026-13' OR 1=1"},
        {"tingkat": "dunia"},
        {"wilayah": "15/../.."},
    ],
    ids=["unknown indicator", "bogus period", "unknown level", "bogus region"],
)
def test_hostile_parameters_fall_back_with_a_note(admin_client, villages_reported, params):
    # when the page is asked with a value it does not know
    response = admin_client.get(URL, params)
    # then it answers with the defaults and says what it did, escaping what was sent
    assert response.status_code == 200
    assert response.context["errors"]
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_staff_without_the_permission_see_nothing(client, django_user_model, villages_reported):
    # given an admin user who may use the admin but not view statistics
    user = django_user_model.objects.create_user("operator", password="x" * 12)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    # when they open the table / then the admin refuses it (back to the dashboard, no figures)
    response = client.get(URL)
    assert response.status_code == 302 and response.url == "/admin/"
    # and with the permission it opens
    user.user_permissions.add(Permission.objects.get(codename="view_statseries"))
    assert client.get(URL).status_code == 200


def test_an_upstream_without_figures_says_so(admin_client, upstream):
    # when no village has reported yet / then the page says how figures arrive
    response = admin_client.get(URL)
    assert "Belum ada statistik dari desa" in response.content.decode()
