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


@pytest.fixture
def office_factory(db, village):
    def make(upstream: str = "", **fields):
        defaults = {"name": "Disdukcapil Kabupaten", "kind": Office.Kind.DUKCAPIL}
        defaults.update(fields)
        office = Office(**defaults)
        if upstream:
            with applying():
                office.origin, office.rev = upstream, 1
                office.full_clean()
                office.save()
            return office
        return office_save(office=office)

    return make


@pytest.fixture
def service_factory(db, village):
    """A service: the village's own, or owned by ``upstream`` (a region code) as if synced."""

    def make(upstream: str = "", **fields):
        service = ServiceStandard(**{**SERVICE_DEFAULTS, **fields})
        if upstream:
            with applying():
                service.origin, service.rev = upstream, 1
                service.full_clean()
                service.save()
            return service
        return service_save(service=service)

    return make
