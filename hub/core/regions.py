"""Kemendagri region codes: the one code pattern, validation of a village code, official names.

Every part of the project that checks a code (sync identity, bundles, the site, the province
market, NIK/KK validation) uses the patterns here, so a code means the same thing everywhere:
ASCII digits only (``str.isdigit`` and ``\\d`` also take other scripts' digits) and no trailing
newline (``$`` allows one, ``\\Z`` does not).

The list (hub/core/data, ~90,000 rows) is read once per process, on the first lookup, into a
compact immutable index (:class:`RegionIndex`): the codes as one sorted array of integers
searched by bisection, the names as one UTF-8 byte string with an array of offsets, ~2 MB in
all, where a dict of 90,000 name strings would take ~15 MB in each gunicorn worker of a Pi.
Validating a NIK or KK (hub/core/personal.py) looks up three codes per number, on every
request form: reading the 2.3 MB list for each of those took ~10 ms.
"""

import csv
import gzip
import io
import re
import threading
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
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


def region_prefix_check(value: str, field: str = "region") -> None:
    """Refuses a region audience that is not a Kemendagri code prefix (2, 4, 6 or 10 digits,
    no dots): the check every model addressed by region runs in its ``clean()``."""
    if value and not REGION_PREFIX_RE.match(value):
        raise ValidationError({field: _("Kode wilayah berisi 2, 4, 6 atau 10 angka tanpa titik.")})


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


# a code in the list as written there, dotted: 11, 11.01, 11.01.01, 11.01.01.2001
_DOTTED_PREFIX_RE = re.compile(r"^[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{4})?)?)?\Z")
_LEVEL_OF_LENGTH = {2: 0, 4: 1, 6: 2, 10: 3}


def _key(digits: str) -> int:
    """A region code (digits, no dots) as one integer: the code padded to ten digits, times
    four, plus its level, so ``11`` and a hypothetical ``1100000000`` differ, and the integers
    sort as the list does (a parent before its children)."""
    return int(digits.ljust(10, "0")) * 4 + _LEVEL_OF_LENGTH[len(digits)]


class RegionIndex:
    """Every code of one region list and its name, immutable once built.

    ``keys`` (``array('q')``, sorted) holds :func:`_key` of each code; the name of ``keys[i]``
    is ``names[offsets[i]:offsets[i + 1]]`` decoded from UTF-8. 91,600 rows take ~0.7 MB of
    keys, ~0.4 MB of offsets and ~1.2 MB of names.
    """

    __slots__ = ("keys", "names", "offsets")

    def __init__(self, rows):
        """``rows``: ``(digits, name)`` pairs in any order; the first of two equal codes wins."""
        keys, offsets, names = array("q"), array("I", [0]), bytearray()
        for digits, name in rows:
            keys.append(_key(digits))
            names += name.encode()
            offsets.append(len(names))
        if any(keys[i] >= keys[i + 1] for i in range(len(keys) - 1)):
            # a list not in the official order (a newer one set by HUB_REGION_LIST)
            order = sorted(range(len(keys)), key=keys.__getitem__)
            seen, sorted_keys, sorted_offsets, sorted_names = (
                set(),
                array("q"),
                array("I", [0]),
                bytearray(),
            )
            for i in order:
                if keys[i] in seen:
                    continue
                seen.add(keys[i])
                sorted_keys.append(keys[i])
                sorted_names += names[offsets[i] : offsets[i + 1]]
                sorted_offsets.append(len(sorted_names))
            keys, offsets, names = sorted_keys, sorted_offsets, sorted_names
        self.keys, self.offsets, self.names = keys, offsets, bytes(names)

    def __len__(self) -> int:
        return len(self.keys)

    def name(self, digits: str) -> str | None:
        """The name of a code written without dots (2, 4, 6 or 10 digits); None if unlisted."""
        key = _key(digits)
        i = bisect_left(self.keys, key)
        if i == len(self.keys) or self.keys[i] != key:
            return None
        return self.names[self.offsets[i] : self.offsets[i + 1]].decode()

    def nbytes(self) -> int:
        """Memory held by the index's three buffers (the Python objects around them add ~200
        bytes)."""
        return (
            self.keys.buffer_info()[1] * self.keys.itemsize
            + self.offsets.buffer_info()[1] * self.offsets.itemsize
            + len(self.names)
        )


def _open_list(path: Path):
    raw = path.open("rb")
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8")
    return io.TextIOWrapper(raw, encoding="utf-8")


def _list_rows(path: Path):
    with _open_list(path) as handle:
        reader = csv.reader(handle)
        next(reader, None)  # header: kode,nama
        for row in reader:
            if len(row) >= 2 and _DOTTED_PREFIX_RE.match(row[0]):
                yield row[0].replace(".", ""), row[1].strip()


# One index per list file, kept while the file is unchanged (its path, size and mtime): a list
# replaced on disk is read again. At most two lists (a test's own list beside the real one).
_indexes: dict[tuple, RegionIndex] = {}
_indexes_lock = threading.Lock()
_INDEXES_MAX = 2


def region_index(region_list: Path | None = None) -> RegionIndex:
    """The index of ``region_list`` (the setting's list by default), built on first use.

    Thread-safe: one thread builds it while the others wait; the built index is never changed,
    so it is read without the lock.
    """
    path = Path(region_list or settings.HUB_REGION_LIST)
    stat = path.stat()
    identity = (str(path), stat.st_size, stat.st_mtime_ns)
    found = _indexes.get(identity)
    if found is not None:
        return found
    with _indexes_lock:
        found = _indexes.get(identity)
        if found is None:
            found = RegionIndex(_list_rows(path))
            for stale in [k for k in _indexes if k[0] == identity[0]]:
                del _indexes[stale]
            while len(_indexes) >= _INDEXES_MAX:
                del _indexes[next(iter(_indexes))]
            _indexes[identity] = found
    return found


def region_names(codes, region_list: Path | None = None) -> dict[str, str]:
    """Official names of region codes written without dots (``15``, ``1503``, ``150301``,
    ``1503012021``); a code not in the list is left out."""
    wanted = {str(code) for code in codes}
    wanted = {code for code in wanted if REGION_PREFIX_RE.match(code)}
    if not wanted:
        return {}
    index = region_index(region_list)
    found = {code: index.name(code) for code in wanted}
    return {code: name for code, name in found.items() if name is not None}


def lookup_village(raw: str, region_list: Path | None = None) -> VillageRegion:
    """Validate ``raw`` against the official list and return its names.

    Raises :class:`VillageCodeError` naming the first part of the code that is not in the list.
    """
    code = normalize_village_code(raw)
    dotted = format_village_code(code)
    parts = [dotted[:2], dotted[:5], dotted[:8], dotted]
    index = region_index(region_list)
    names = {part: index.name(part.replace(".", "")) for part in parts}
    names = {part: name for part, name in names.items() if name is not None}
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
