"""Kemendagri region codes: the one code pattern, validation of a village code, official names.

Every part of the project that checks a code (sync identity, bundles, the site, the province
market, NIK/KK validation) uses the patterns here, so a code means the same thing everywhere:
ASCII digits only (``str.isdigit`` and ``\\d`` also take other scripts' digits) and no trailing
newline (``$`` allows one, ``\\Z`` does not).

The list (hub/core/data, ~90,000 rows) is streamed from the gzip file for each lookup instead of
being held in memory: lookups happen when an operator sets the code, not per request, and a
Pi Zero's gunicorn workers should not each carry a 15 MB dict.
"""

import csv
import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

VILLAGE_KIND_DESA = "desa"
VILLAGE_KIND_KELURAHAN = "kelurahan"

# A village: PP KK CC DDDD (province, kabupaten/kota, kecamatan, desa/kelurahan), no dots.
VILLAGE_CODE_RE = re.compile(r"^[0-9]{10}\Z")
# The region an upstream serves and names itself by: a province (PP) or a kabupaten (PPKK).
REGION_CODE_RE = re.compile(r"^(?:[0-9]{2}|[0-9]{4})\Z")
# Any level of the tree as a code prefix: province, kabupaten, kecamatan or village.
REGION_PREFIX_RE = re.compile(r"^(?:[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{10})\Z")
# A village code as written on official papers: PP.KK.CC.DDDD.
DOTTED_VILLAGE_CODE_RE = re.compile(r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}\Z")


class VillageCodeError(ValueError):
    """A village code that is malformed or not in the official list; the message says why."""


@dataclass(frozen=True)
class VillageRegion:
    code: str  # ten digits, no dots
    village: str
    kecamatan: str
    kabupaten: str
    province: str

    @property
    def dotted(self) -> str:
        return format_village_code(self.code)

    @property
    def kind(self) -> str:
        return VILLAGE_KIND_KELURAHAN if self.code[6] == "1" else VILLAGE_KIND_DESA


def format_village_code(code: str) -> str:
    """``1503012021`` → ``15.03.01.2021`` (the way the code is written on official papers)."""
    return f"{code[0:2]}.{code[2:4]}.{code[4:6]}.{code[6:10]}" if len(code) == 10 else code


def normalize_village_code(raw: str) -> str:
    """Return the ten digits of a village code written ``PP.KK.CC.DDDD`` or ``PPKKCCDDDD``.

    Raises :class:`VillageCodeError` with a message that says what is wrong.
    """
    value = (raw or "").strip()
    if not value:
        raise VillageCodeError(_("Kode desa kosong. Tulis 10 angka, misalnya 15.03.01.2021."))
    if not re.fullmatch(r"[0-9.]+", value):
        raise VillageCodeError(
            _(
                "Kode desa hanya boleh berisi angka dan titik, misalnya 15.03.01.2021; "
                "yang diberikan: %(value)s."
            )
            % {"value": value[:40]}
        )
    digits = value.replace(".", "")
    if len(digits) != 10:
        raise VillageCodeError(
            _(
                "Kode desa harus 10 angka (PP.KK.CC.DDDD: provinsi, kabupaten/kota, kecamatan, "
                "desa); yang diberikan %(count)d angka."
            )
            % {"count": len(digits)}
        )
    if "." in value and not DOTTED_VILLAGE_CODE_RE.match(value):
        raise VillageCodeError(
            _("Titik pada kode desa salah tempat: tulis PP.KK.CC.DDDD, misalnya 15.03.01.2021.")
        )
    if not VILLAGE_CODE_RE.match(digits):
        raise VillageCodeError(_("Kode desa tidak sah."))
    if digits[6] not in "12":
        raise VillageCodeError(
            _(
                "Bagian desa (DDDD) harus diawali 1 (kelurahan) atau 2 (desa); "
                "yang diberikan %(part)s."
            )
            % {"part": digits[6:]}
        )
    return digits


def _open_list(path: Path):
    raw = path.open("rb")
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8")
    return io.TextIOWrapper(raw, encoding="utf-8")


def _names_for_prefixes(prefixes: set[str], path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    with _open_list(path) as handle:
        reader = csv.reader(handle)
        next(reader, None)  # header: kode,nama
        for row in reader:
            if len(row) >= 2 and row[0] in prefixes:
                found[row[0]] = row[1].strip()
                if len(found) == len(prefixes):
                    break
    return found


def region_names(codes, region_list: Path | None = None) -> dict[str, str]:
    """Official names of region codes written without dots (``15``, ``1503``, ``150301``,
    ``1503012021``), in one pass over the list; a code not in the list is left out."""
    by_dotted = {}
    for code in codes:
        code = str(code)
        if REGION_PREFIX_RE.match(code):
            parts = [code[0:2], code[2:4], code[4:6], code[6:10]]
            by_dotted[".".join(p for p in parts if p)] = code
    if not by_dotted:
        return {}
    found = _names_for_prefixes(set(by_dotted), Path(region_list or settings.HUB_REGION_LIST))
    return {by_dotted[dotted]: name for dotted, name in found.items()}


def lookup_village(raw: str, region_list: Path | None = None) -> VillageRegion:
    """Validate ``raw`` against the official list and return its names.

    Raises :class:`VillageCodeError` naming the first part of the code that is not in the list.
    """
    code = normalize_village_code(raw)
    dotted = format_village_code(code)
    parts = [dotted[:2], dotted[:5], dotted[:8], dotted]
    path = Path(region_list or settings.HUB_REGION_LIST)
    names = _names_for_prefixes(set(parts), path)
    labels = [_("provinsi"), _("kabupaten/kota"), _("kecamatan"), _("desa/kelurahan")]
    for part, label in zip(parts, labels, strict=True):
        if part not in names:
            raise VillageCodeError(
                _(
                    "Kode %(code)s tidak ada dalam daftar resmi Kemendagri: %(label)s %(part)s "
                    "tidak dikenal. Periksa kodenya; kode yang lebih baru dari daftar dapat "
                    "diterima operator dengan --accept-unlisted."
                )
                % {"code": dotted, "label": label, "part": part}
            )
    return VillageRegion(
        code=code,
        village=names[parts[3]],
        kecamatan=names[parts[2]],
        kabupaten=names[parts[1]],
        province=names[parts[0]],
    )
