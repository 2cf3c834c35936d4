"""Writes of the village site: village identity."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from hub.core.regions import VillageCodeError, VillageRegion, lookup_village, normalize_village_code

from .models import VillageSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnlistedNames:
    """Names an operator gives for a code newer than the shipped list."""

    village: str
    kecamatan: str
    kabupaten: str
    province: str


def village_identity_set(
    *,
    code: str,
    accept_unlisted: bool = False,
    names: UnlistedNames | None = None,
    force: bool = False,
) -> VillageSettings:
    """Set the hub's village code and official names, once.

    The code is checked against the official list. ``accept_unlisted`` takes a well-formed code
    missing from the list, with names the operator gives. Changing a code already set needs
    ``force``: every record this hub has made carries the old code as its origin.
    """
    digits = normalize_village_code(code)
    try:
        region = lookup_village(digits)
        from_list = True
    except VillageCodeError:
        if not accept_unlisted:
            raise
        if names is None or not all(
            [names.village, names.kecamatan, names.kabupaten, names.province]
        ):
            raise VillageCodeError(
                _(
                    "Kode di luar daftar resmi hanya diterima dengan nama desa, kecamatan, "
                    "kabupaten/kota dan provinsi."
                )
            ) from None
        region = VillageRegion(
            code=digits,
            village=names.village.strip(),
            kecamatan=names.kecamatan.strip(),
            kabupaten=names.kabupaten.strip(),
            province=names.province.strip(),
        )
        from_list = False

    with transaction.atomic():
        village = VillageSettings.load()
        if village.village_code and village.village_code != digits and not force:
            raise VillageCodeError(
                _(
                    "Hub ini sudah memakai kode %(old)s. Kode desa tidak diganti karena setiap "
                    "data desa membawanya sebagai asal; pakai --force hanya bila kode lama salah."
                )
                % {"old": village.village_code_display}
            )
        village.village_code = region.code
        village.village_name = region.village
        village.village_kind = region.kind
        village.kecamatan_name = region.kecamatan
        village.kabupaten_name = region.kabupaten
        village.province_name = region.province
        village.code_from_list = from_list
        village.save()
    logger.info("village code set to %s (%s)", region.dotted, region.village)
    return village
