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
    region_index,
    region_names,
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


# -- the index: read once per process, compact, the same answers as the list ---------------


def _write_list(path, rows):
    path.write_text("kode,nama\n" + "".join(f"{code},{name}\n" for code, name in rows))
    return path


def test_the_index_gives_every_name_of_the_list_as_written_there():
    # given the official list read row by row, as lookups did before the index
    import csv
    import gzip

    from django.conf import settings

    with gzip.open(settings.HUB_REGION_LIST, "rt", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    # when every code is looked up in the index
    index = region_index()
    # then each gives its own name, and the index holds nothing else
    assert len(index) == len(rows) > 90_000
    for code, name in rows:
        assert index.name(code.replace(".", "")) == name.strip(), code
    assert index.name("99") is None
    assert index.name("1100000000") is None  # 11 padded: a village, not the province


def test_the_index_is_compact():
    # then the whole list fits in ~2 MB (a dict of its names takes ~15 MB per process)
    assert region_index().nbytes() < 2_500_000


def test_the_index_is_built_once_and_reused(tmp_path):
    # given a list file
    path = _write_list(tmp_path / "list.csv", [("15", "Jambi"), ("15.03", "Kabupaten Sarolangun")])
    # when it is asked for twice
    first, second = region_index(path), region_index(path)
    # then the second call returns the same object: the file was read once
    assert first is second
    assert region_names(["15", "1503", "1599"], region_list=path) == {
        "15": "Jambi",
        "1503": "Kabupaten Sarolangun",
    }


def test_a_list_replaced_on_disk_is_read_again(tmp_path):
    import os

    # given a list already read
    path = _write_list(tmp_path / "list.csv", [("15", "Jambi")])
    assert region_names(["15"], region_list=path) == {"15": "Jambi"}
    # when an operator replaces it with a newer one
    _write_list(path, [("15", "Jambi"), ("15.03", "Kabupaten Sarolangun")])
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    # then the new codes are known without a restart
    assert region_names(["1503"], region_list=path) == {"1503": "Kabupaten Sarolangun"}


def test_a_list_out_of_order_with_a_repeated_code_answers_like_the_official_one(tmp_path):
    # given a newer list, not sorted, with a code twice and rows that are not codes
    path = _write_list(
        tmp_path / "list.csv",
        [
            ("15.03.01.2021", "Bukit Berantai"),
            ("15", "Jambi"),
            ("15.03.01", "Batang Asai"),
            ("15.03", "Kabupaten Sarolangun"),
            ("15", "Jambi (kedua)"),
            ("15.3", "bukan kode"),
            ("catatan", "bukan kode"),
        ],
    )
    # when a village is looked up in it
    region = lookup_village("1503012021", region_list=path)
    # then the names are found, the first of the repeated code wins, the rest is ignored
    assert (region.province, region.kabupaten, region.kecamatan, region.village) == (
        "Jambi",
        "Kabupaten Sarolangun",
        "Batang Asai",
        "Bukit Berantai",
    )
    assert len(region_index(path)) == 4


def test_threads_asking_at_once_share_one_index(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    # given a list nobody has read yet
    rows = [("15", "Jambi")] + [(f"15.{k:02d}", f"Kabupaten {k}") for k in range(1, 99)]
    path = _write_list(tmp_path / "list.csv", rows)
    # when eight threads ask for it at the same time
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(lambda _i: region_index(path), range(32)))
    # then they all got the one index, complete
    assert all(index is found[0] for index in found)
    assert found[0].name("1598") == "Kabupaten 98"
