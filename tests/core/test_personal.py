"""Personal data helpers: phone masking, NIK and KK validation and masking, the log filter."""

import io
import logging
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from hub.core.personal import (
    SEX_FEMALE,
    SEX_MALE,
    PersonalNumberLogFilter,
    kk_validate,
    nik_masked,
    nik_validate,
    personal_numbers_masked_in,
    phone_masked,
)

# Kabupaten Bogor (32.01), kecamatan Cibinong (32.01.01): both in the shipped list.
NIK_MAN = "3201011505900001"  # born 15-05-1990
NIK_WOMAN = "3201015505900002"  # day 55 = the 15th, a woman


def test_phone_is_masked_keeping_its_ends():
    assert phone_masked("+6281234567890") == "+62812****7890"
    assert phone_masked("0812") == "****"


def test_a_man_s_nik_gives_his_sex_and_birth_date():
    # when
    nik = nik_validate(NIK_MAN)
    # then
    assert (nik.value, nik.sex, nik.birth_date, nik.warnings) == (
        NIK_MAN,
        SEX_MALE,
        date(1990, 5, 15),
        (),
    )


def test_a_woman_s_birth_day_is_written_plus_40():
    # when
    nik = nik_validate(NIK_WOMAN)
    # then
    assert (nik.sex, nik.birth_date) == (SEX_FEMALE, date(1990, 5, 15))


def test_a_nik_typed_in_groups_is_normalised():
    assert nik_validate("3201 0115 0590 0001").value == NIK_MAN
    assert nik_validate("3201-0115-0590-0001").value == NIK_MAN


def test_a_recent_two_digit_year_is_this_century():
    assert nik_validate("3201010101200001").birth_date == date(2020, 1, 1)


@pytest.mark.parametrize(
    ("validate", "raw", "code"),
    [
        (nik_validate, raw, code)
        for raw, code in [
            ("", "empty"),
            ("320101150590000", "format"),  # 15 digits
            ("32010115059000011", "format"),  # 17 digits
            ("320101150590000A", "format"),
            ("３２０１０１１５０５９０００01", "format"),  # full-width digits are not ASCII digits
            ("9901011505900001", "province"),  # no province 99
            ("0001011505900001", "province"),
            ("3201013202900001", "birth_date"),  # 32 February
            ("3201017205900001", "birth_date"),  # 72 - 40 = 32
            ("3201014005900001", "birth_date"),  # day 40 is neither a man's nor a woman's
            ("3201011513900001", "birth_date"),  # month 13
            ("3201011505900000", "serial"),
        ]
    ]
    + [
        (kk_validate, raw, code)
        for raw, code in [
            ("32010120031500", "format"),
            ("9901012003150007", "province"),
            ("3201016003150007", "issue_date"),  # no +40 on a KK: day 60 is not a day
            ("3201013102150007", "issue_date"),
        ]
    ],
)
def test_what_cannot_be_a_nik_or_kk_is_refused_in_indonesian(validate, raw, code):
    # when
    with pytest.raises(ValidationError) as refused:
        validate(raw)
    # then the message names what was checked
    assert refused.value.code == code
    assert ("NIK" if validate is nik_validate else "KK") in refused.value.messages[0]


def test_29_february_of_a_leap_year_is_a_birth_date():
    assert nik_validate("3201012902000001").birth_date == date(2000, 2, 29)


def test_an_unknown_kecamatan_is_a_warning_not_a_refusal():
    # given a NIK of a kecamatan code not in today's list (issued before a split)
    raw = "3201991505900001"
    # when
    nik = nik_validate(raw)
    # then
    assert nik.value == raw
    assert len(nik.warnings) == 1
    assert "kecamatan 320199" in nik.warnings[0]


def test_an_unknown_kabupaten_is_one_warning():
    # when
    nik = nik_validate("3299011505900001")
    # then
    assert len(nik.warnings) == 1
    assert "kabupaten/kota 3299" in nik.warnings[0]


def test_a_kk_gives_its_issue_date():
    # when
    kk = kk_validate("3201012003150007")
    # then
    assert (kk.value, kk.issued, kk.warnings) == ("3201012003150007", date(2015, 3, 20), ())


def test_a_nik_is_masked_to_its_first_and_last_four_digits():
    assert nik_masked(NIK_MAN) == "3201********0001"
    assert nik_masked("3201 0115 0590 0001") == "3201********0001"
    assert nik_validate(NIK_WOMAN).masked == "3201********0002"
    assert nik_masked("12345") == "****"


def test_sixteen_digit_numbers_are_masked_in_text_but_not_longer_ones():
    # given
    text = f"nik={NIK_MAN} kk=3201-0120-0315-0007 order=12345678901234567 phone=081234567890"
    # when
    masked = personal_numbers_masked_in(text)
    # then
    assert masked == (
        "nik=3201********0001 kk=3201********0007 order=12345678901234567 phone=081234567890"
    )


@pytest.fixture
def console_output():
    """What the configured console handler (settings.LOGGING) writes, captured."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, PersonalNumberLogFilter) for f in handler.filters)
    ]
    assert handlers, "settings.LOGGING gives no handler the personal-data filter"
    stream = io.StringIO()
    old = [handler.setStream(stream) for handler in handlers]
    yield stream
    for handler, previous in zip(handlers, old, strict=True):
        handler.setStream(previous)


def test_nik_never_reaches_the_log(console_output):
    # given
    logger = logging.getLogger("hub.test.personal")
    # when a message, its arguments and an exception all carry a NIK
    logger.warning("request from %s refused", NIK_MAN)
    logger.warning(f"inline {NIK_WOMAN}")
    try:
        raise ValueError(f"bad NIK {NIK_MAN}")
    except ValueError:
        logger.exception("failed")
    # then
    written = console_output.getvalue()
    assert NIK_MAN not in written and NIK_WOMAN not in written
    assert "request from 3201********0001 refused" in written
    assert "inline 3201********0002" in written
    assert "ValueError: bad NIK 3201********0001" in written
