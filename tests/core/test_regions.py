"""The village-code validator: good codes pass with their official names, bad ones say why."""

import pytest

from hub.core.regions import (
    REGION_CODE_RE,
    REGION_PREFIX_RE,
    VILLAGE_CODE_RE,
    VillageCodeError,
    format_village_code,
    lookup_village,
    normalize_village_code,
)
from hub.sync.core import identity


@pytest.mark.parametrize(
    "raw",
    ["15.03.01.2021", "1503012021", " 15.03.01.2021 "],
)
def test_good_code_is_normalized_to_ten_digits(raw):
    assert normalize_village_code(raw) == "1503012021"


def test_official_names_come_from_the_list():
    # given a real village code from the Kemendagri list
    # when it is looked up
    region = lookup_village("15.03.01.2021")
    # then the names are the official ones
    assert region.village == "Bukit Berantai"
    assert region.kecamatan == "Batang Asai"
    assert region.kabupaten == "Kabupaten Sarolangun"
    assert region.province == "Jambi"
    assert region.kind == "desa"
    assert region.dotted == "15.03.01.2021"


def test_kelurahan_is_recognized():
    region = lookup_village("12.01.01.1001")
    assert region.kind == "kelurahan"


@pytest.mark.parametrize(
    ("raw", "message_part"),
    [
        ("", "kosong"),
        ("15-03-01-2021", "hanya boleh berisi angka"),
        ("15.03.01.202", "harus 10 angka"),
        ("150301202112", "harus 10 angka"),
        ("1503.01.2021", "Titik pada kode desa salah tempat"),
        ("15.03.01.3021", "harus diawali 1 (kelurahan) atau 2 (desa)"),
        ("15.03.01.abcd", "hanya boleh berisi angka"),
    ],
)
def test_malformed_code_is_refused_with_what_is_wrong(raw, message_part):
    with pytest.raises(VillageCodeError) as excinfo:
        normalize_village_code(raw)
    assert message_part in str(excinfo.value)


@pytest.mark.parametrize(
    ("raw", "unknown"),
    [
        ("99.01.01.2001", "provinsi 99"),
        ("15.99.01.2001", "kabupaten/kota 15.99"),
        ("15.03.99.2001", "kecamatan 15.03.99"),
        ("15.03.01.2999", "desa/kelurahan 15.03.01.2999"),
    ],
)
def test_code_not_in_list_names_the_unknown_part(raw, unknown):
    with pytest.raises(VillageCodeError) as excinfo:
        lookup_village(raw)
    assert unknown in str(excinfo.value)
    assert "--accept-unlisted" in str(excinfo.value)


def test_format_inserts_dots():
    assert format_village_code("1503012021") == "15.03.01.2021"


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (VILLAGE_CODE_RE, ["1503012021"], ["150301202", "15030120211", "15.03.01.2021"]),
        (REGION_CODE_RE, ["15", "1503"], ["1", "150", "150301", "1503012021"]),
        (REGION_PREFIX_RE, ["15", "1503", "150301", "1503012021"], ["150", "15030120"]),
    ],
)
def test_one_code_pattern_for_the_project(pattern, good, bad):
    # then each pattern takes its codes, written in ASCII digits with nothing after them
    for code in good:
        assert pattern.match(code)
        assert not pattern.match(code + "\n")
        assert not pattern.match(code.replace("5", "\u0665"))  # Arabic-Indic five
    for code in bad:
        assert not pattern.match(code)


def test_sync_identity_uses_the_same_patterns():
    assert identity.VILLAGE_CODE_RE is VILLAGE_CODE_RE
    assert identity.REGION_CODE_RE is REGION_CODE_RE
