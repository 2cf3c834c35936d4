"""Personal data: phone numbers, NIK and KK numbers (validation and masking), and a log filter.

NIK (Nomor Induk Kependudukan) and KK (Kartu Keluarga) numbers are 16 digits::

    PP KK CC DDMMYY SSSS
    │  │  │  │      └ serial number
    │  │  │  └ NIK: birth date (a woman's day + 40); KK: the date the card was issued
    │  │  └ kecamatan ┐
    │  └ kabupaten    ├ the region that issued it (Kemendagri codes, hub/core/regions.py)
    └ province        ┘

A province code that does not exist refuses the number. A kabupaten or kecamatan missing from
today's list is only a warning: a NIK keeps the code of the region that issued it, and regions
split and get new codes (a NIK from before the split still carries the old one).

Masking shows the first four digits (province and kabupaten: where, not who) and the last four
(enough to tell two family members apart when a clerk checks a paper): ``3201********0001``.
The birth date and the kecamatan, which narrow a person down most, are never shown.

Encryption at rest is in :mod:`hub.core.fields` (the model fields) and :mod:`hub.core.fieldkeys`
(the key file); :class:`PersonalNumberLogFilter` keeps 16-digit numbers out of the logs.
"""

import logging
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .regions import region_names

# an Indonesian mobile number in its international form: +62 8xx, 9 to 13 digits after +62
PHONE_RE = re.compile(r"^\+628\d{7,11}$")
PERSONAL_NUMBER_RE = re.compile(r"^[0-9]{16}\Z")
# What may separate the groups of digits when someone types a NIK or KK from the card.
_SEPARATORS_RE = re.compile(r"[\s.\-]")
MASK = "*"

SEX_MALE = "L"  # laki-laki, as on the KTP
SEX_FEMALE = "P"  # perempuan
# In a NIK a woman's birth day is written with 40 added: the 5th is 45.
WOMAN_DAY_OFFSET = 40


def phone_normalize(raw: str) -> str:
    """``08…``, ``628…`` or ``+628…`` (spaces, dots and dashes allowed) as ``+628…``.

    Raises :class:`ValidationError` for anything that is not an Indonesian mobile number.
    """
    digits = re.sub(r"[\s.\-()]", "", str(raw or ""))
    if digits.startswith("+62"):
        digits = "+62" + digits[3:]
    elif digits.startswith("62"):
        digits = "+" + digits
    elif digits.startswith("0"):
        digits = "+62" + digits[1:]
    if not PHONE_RE.match(digits):
        raise ValidationError(
            gettext_lazy(
                "Nomor HP tidak valid. Tulis seperti 0812 3456 7890 atau +62 812 3456 7890."
            ),
            code="phone",
        )
    return digits


def phone_masked(phone: str) -> str:
    """``+62812****7890``: enough to recognise a number, not to copy it."""
    if len(phone) < 8:
        return "****"
    return phone[:6] + MASK * (len(phone) - 10) + phone[-4:]


def personal_number_masked(value: str) -> str:
    """A NIK or KK as ``3201********0001``; anything that is not 16 digits as ``****``."""
    value = _SEPARATORS_RE.sub("", str(value or ""))
    if not PERSONAL_NUMBER_RE.match(value):
        return MASK * 4
    return value[:4] + MASK * 8 + value[-4:]


nik_masked = personal_number_masked
kk_masked = personal_number_masked


@dataclass(frozen=True)
class Nik:
    """A NIK that passed :func:`nik_validate`: its 16 digits and what they say."""

    value: str
    sex: str  # SEX_MALE or SEX_FEMALE
    birth_date: date  # the century is a guess: the latest that is not in the future
    warnings: tuple[str, ...] = ()

    @property
    def masked(self) -> str:
        return personal_number_masked(self.value)


@dataclass(frozen=True)
class KartuKeluarga:
    """A KK number that passed :func:`kk_validate`."""

    value: str
    issued: date  # the century is a guess, as for a NIK's birth date
    warnings: tuple[str, ...] = ()

    @property
    def masked(self) -> str:
        return personal_number_masked(self.value)


def _digits(raw: str, label: str) -> str:
    value = _SEPARATORS_RE.sub("", str(raw or ""))
    if not value:
        raise ValidationError(_("%(label)s kosong.") % {"label": label}, code="empty")
    if not PERSONAL_NUMBER_RE.match(value):
        raise ValidationError(
            _("%(label)s harus 16 angka; yang diberikan %(count)d tanda.")
            % {"label": label, "count": len(value)},
            code="format",
        )
    return value


def _region_warnings(value: str, label: str) -> tuple[str, ...]:
    """Refuse an unknown province; warn about a kabupaten or kecamatan not in today's list."""
    province, kabupaten, kecamatan = value[:2], value[:4], value[:6]
    known = region_names([province, kabupaten, kecamatan])
    if province not in known:
        raise ValidationError(
            _("%(label)s diawali kode provinsi %(code)s yang tidak ada.")
            % {"label": label, "code": province},
            code="province",
        )
    warnings = []
    for code, part in ((kabupaten, _("kabupaten/kota")), (kecamatan, _("kecamatan"))):
        if code not in known:
            warnings.append(
                _(
                    "Kode %(part)s %(code)s pada %(label)s tidak ada dalam daftar Kemendagri "
                    "terbaru; mungkin kode lama dari sebelum pemekaran wilayah. Periksa kartunya."
                )
                % {"part": part, "code": code, "label": label}
            )
            break  # an unknown kabupaten makes its kecamatan unknown too: say it once
    return tuple(warnings)


def _date_ddmmyy(day: int, month: int, yy: int) -> date | None:
    """The date, in the latest century that does not put it in the future; None if no such day.

    29-02-00 is a real day in 2000 but not in 1900, so both centuries are tried.
    """
    today = timezone.localdate()
    for year in (2000 + yy, 1900 + yy):
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found <= today:
            return found
    return None


def nik_validate(raw: str) -> Nik:
    """Check a NIK and read its sex and birth date.

    Raises :class:`ValidationError` (Indonesian message) for a number that cannot be a NIK;
    returns warnings for what may be an old region code.
    """
    label = _("NIK")
    value = _digits(raw, label)
    warnings = _region_warnings(value, label)
    day, month, yy = int(value[6:8]), int(value[8:10]), int(value[10:12])
    sex = SEX_MALE
    if day > WOMAN_DAY_OFFSET:
        sex, day = SEX_FEMALE, day - WOMAN_DAY_OFFSET
    birth_date = _date_ddmmyy(day, month, yy)
    if birth_date is None:
        raise ValidationError(
            _(
                "Angka ke-7 sampai ke-12 NIK (%(part)s) bukan tanggal lahir yang sah: "
                "tanggal-bulan-tahun, tanggal perempuan ditambah 40."
            )
            % {"part": value[6:12]},
            code="birth_date",
        )
    if value[12:] == "0000":
        raise ValidationError(
            _("Nomor urut NIK (4 angka terakhir) tidak boleh 0000."), code="serial"
        )
    return Nik(value=value, sex=sex, birth_date=birth_date, warnings=warnings)


def kk_validate(raw: str) -> KartuKeluarga:
    """Check a KK number and read the date its card was issued.

    Raises :class:`ValidationError` like :func:`nik_validate`.
    """
    label = _("Nomor KK")
    value = _digits(raw, label)
    warnings = _region_warnings(value, label)
    issued = _date_ddmmyy(int(value[6:8]), int(value[8:10]), int(value[10:12]))
    if issued is None:
        raise ValidationError(
            _("Angka ke-7 sampai ke-12 nomor KK (%(part)s) bukan tanggal terbit yang sah.")
            % {"part": value[6:12]},
            code="issue_date",
        )
    return KartuKeluarga(value=value, issued=issued, warnings=warnings)


# Sixteen digits, alone or written in groups of four (3201 0101 0190 0001, 3201-0101-…), not
# part of a longer number.
_PERSONAL_NUMBER_IN_TEXT = re.compile(
    r"(?<![0-9])([0-9]{4})[ .\-]?([0-9]{4})[ .\-]?([0-9]{4})[ .\-]?([0-9]{4})(?![0-9])"
)


def personal_numbers_masked_in(text: str) -> str:
    """``text`` with every 16-digit number in it masked (NIK and KK never reach a log)."""
    return _PERSONAL_NUMBER_IN_TEXT.sub(lambda m: m.group(1) + MASK * 8 + m.group(4), text)


class PersonalNumberLogFilter(logging.Filter):
    """Masks 16-digit numbers in a log record: its message, arguments and traceback.

    On the handlers in ``LOGGING``, so records from every logger pass it. A 16-digit number
    that is not a NIK (a timestamp in microseconds) is masked too: better a lost digit in a log
    than a NIK in one.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed record: the handler reports it as it always does
        masked = personal_numbers_masked_in(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = personal_numbers_masked_in(record.exc_text)
        if record.stack_info:
            record.stack_info = personal_numbers_masked_in(record.stack_info)
        return True
