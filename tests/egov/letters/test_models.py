"""Letter types: the seeded ten are valid, and a type with a mistake cannot be saved."""

import pytest
from django.core.exceptions import ValidationError

from egov.letters.models import LetterType, number_format
from egov.letters.seeds import LETTER_TYPES

CODES = {
    "domisili",
    "usaha",
    "tidak-mampu",
    "pengantar-skck",
    "keterangan-umum",
    "kelahiran",
    "kematian",
    "pindah",
    "pengantar-nikah",
    "pengantar-kk",
}


def test_a_fresh_hub_has_the_ten_types_and_each_is_valid(db):
    # given a migrated database
    # when its letter types are read
    types = list(LetterType.objects.all())
    # then the ten seeded codes are there, each passing the admin's own checks
    assert {t.code for t in types} == CODES == {spec["code"] for spec in LETTER_TYPES}
    for letter_type in types:
        letter_type.full_clean()
        assert letter_type.attachments and letter_type.fields


def _type(**fields):
    base = {
        "code": "uji",
        "name": "Surat uji",
        "klasifikasi": "470",
        "number_pattern": "470/{seq:03}/DS/{year}",
        "fields": [{"name": "usaha", "label": "Usaha", "kind": "text"}],
        "attachments": [{"name": "ktp", "label": "KTP"}],
        "body_template": "{nama} punya usaha {usaha}.",
    }
    base.update(fields)
    return LetterType(**base)


@pytest.mark.parametrize(
    ("fields", "where", "says"),
    [
        ({"body_template": "{nama} lahir di {tempat_lahir}."}, "body_template", "tempat_lahir"),
        ({"body_template": "{nama} {usaha.__class__}"}, "body_template", "tidak dikenal"),
        ({"number_pattern": "470/DS/{year}"}, "number_pattern", "{seq}"),
        ({"number_pattern": "470/{seq:03}/{kades}"}, "number_pattern", "kades"),
        ({"number_pattern": "470/{seq:zz}"}, "number_pattern", "tidak sah"),
        ({"number_pattern": "470/{seq"}, "number_pattern", "tidak sah"),
        ({"fields": {"usaha": "text"}}, "fields", "daftar"),
        ({"fields": [{"name": "Usaha Saya", "label": "U", "kind": "text"}]}, "fields", "nama"),
        ({"fields": [{"name": "u", "label": "U", "kind": "rahasia"}]}, "fields", "jenis"),
        ({"fields": [{"name": "u", "label": "U", "kind": "choice"}]}, "fields", "pilihan"),
        ({"fields": [{"name": "nik", "label": "N", "kind": "text"}]}, "fields", "dua kali"),
        ({"attachments": [{"name": "ktp"}]}, "attachments", "label"),
        ({"klasifikasi": "47x"}, "klasifikasi", ""),
    ],
)
def test_a_type_with_a_mistake_is_refused(db, fields, where, says):
    # given a letter type with one mistake
    letter_type = _type(**fields)
    # when it is checked before saving
    with pytest.raises(ValidationError) as refused:
        letter_type.full_clean()
    # then the field with the mistake carries a clear message
    assert where in refused.value.message_dict
    assert says in " ".join(refused.value.message_dict[where])


def test_number_patterns():
    # given the seeded patterns' parts
    # when numbers are formatted
    # then they read as village letters are numbered
    assert number_format(
        "470/{seq:03}/DS/{year}", seq=7, year=2026, month=3, klasifikasi="470"
    ) == ("470/007/DS/2026")
    assert (
        number_format(
            "{klasifikasi}.1/{seq}/{month_roman}/{year}",
            seq=12,
            year=2026,
            month=12,
            klasifikasi="474",
        )
        == "474.1/12/XII/2026"
    )
