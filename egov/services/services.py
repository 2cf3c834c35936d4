"""Writes of service standards and offices: the admin, the demo and tests call these."""

from django.db import transaction

from .models import Office, ServiceStandard


@transaction.atomic
def office_save(*, office: Office) -> Office:
    """Validate and save an office (new or changed); a ValidationError saves nothing."""
    office.full_clean()
    office.save()
    return office


@transaction.atomic
def service_save(*, service: ServiceStandard) -> ServiceStandard:
    """Validate and save a service standard; a ValidationError saves nothing."""
    service.full_clean()
    service.save()
    return service


def service_create(**fields) -> ServiceStandard:
    return service_save(service=ServiceStandard(**fields))


def office_create(**fields) -> Office:
    return office_save(office=Office(**fields))
