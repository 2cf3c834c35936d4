"""django-q2 tasks of the certificates (named by dotted path in schedules and signal handlers)."""

from django.conf import settings

from hub.core.roles import is_upstream
from hub.core.schedules import schedule_ensure

VILLAGE_SCHEDULE = "balai-certs-request"
UPSTREAM_SCHEDULE = "balai-certs-issue"


def certificate_request_ensure_task():
    from .services import certificate_request_ensure

    request = certificate_request_ensure()
    return request.name if request else None


def issued_certificate_install_task(issued_id):
    from .services import issued_certificate_install

    entry = issued_certificate_install(issued_id=issued_id)
    return entry.result if entry else None


def certificates_issue_task():
    from .issuing import certificates_issue_due

    return certificates_issue_due()


def schedules_ensure():
    """The village checks its key and request hourly (a changed name makes a new CSR); the
    upstream orders and renews hourly when an ACME DNS zone is configured."""
    upstream = is_upstream()
    schedule_ensure(
        VILLAGE_SCHEDULE,
        "hub.certs.tasks.certificate_request_ensure_task",
        every="hour",
        enabled=not upstream,
    )
    schedule_ensure(
        UPSTREAM_SCHEDULE,
        "hub.certs.tasks.certificates_issue_task",
        every="hour",
        enabled=upstream and bool(settings.HUB_ACME_DNS_ZONE),
    )
