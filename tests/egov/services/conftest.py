"""Factories of the service-standard tests: offices and services, the village's own or as they
arrive from the kabupaten upstream."""

import pytest

from egov.services.models import Category, Office, ServiceStandard
from egov.services.services import office_save, service_save
from hub.sync.core.journal import applying

SERVICE_DEFAULTS = {
    "title": "Perekaman KTP-el",
    "category": Category.KEPENDUDUKAN,
    "summary": "KTP elektronik untuk warga berusia 17 tahun.",
    "requirements": "Kartu Keluarga asli\nBerusia 17 tahun",
    "procedure": "Bawa KK ke Disdukcapil\nPerekaman foto dan sidik jari",
    "duration": "Hari itu juga",
    "free_of_charge": True,
    "product": "KTP-el",
    "complaints": "SP4N-LAPOR!",
}


def saved(record, upstream: str, save_here):
    """``record`` saved as the village's own (through ``save_here``), or as owned by
    ``upstream`` (a region code) as if the sync had brought it."""
    if not upstream:
        return save_here(record)
    with applying():
        record.origin, record.rev = upstream, 1
        record.full_clean()
        record.save()
    return record


@pytest.fixture
def office_factory(db, village):
    def make(upstream: str = "", **fields):
        office = Office(**{"name": "Disdukcapil Kabupaten", "kind": Office.Kind.DUKCAPIL, **fields})
        return saved(office, upstream, lambda o: office_save(office=o))

    return make


@pytest.fixture
def service_factory(db, village):
    """A service: the village's own, or owned by ``upstream`` as if synced."""

    def make(upstream: str = "", **fields):
        service = ServiceStandard(**{**SERVICE_DEFAULTS, **fields})
        return saved(service, upstream, lambda s: service_save(service=s))

    return make
