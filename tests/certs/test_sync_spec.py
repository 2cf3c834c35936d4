"""What of the certificates travels: the request up (no key), the issued certificate down to its
one village; the install log and the upstream's ordering state never."""

import pytest
from django_q.models import Schedule

from hub.certs.models import (
    CertificateInstall,
    CertificateRequest,
    IssuanceState,
    IssuedCertificate,
)
from hub.certs.tasks import UPSTREAM_SCHEDULE, VILLAGE_SCHEDULE, schedules_ensure
from hub.sync.registry import spec_for

pytestmark = pytest.mark.django_db


def test_the_request_goes_up_with_the_csr_and_no_key():
    spec = spec_for(CertificateRequest)
    names = {f.name for f in spec.wire_fields()}
    assert {"name", "csr_pem", "key_sha256", "installed_not_after", "install_error"} <= names
    assert not any("key" in n and n != "key_sha256" for n in names)
    assert spec.owner == "village"
    assert spec.audience(CertificateRequest(origin="1503012021")) is None


def test_an_issued_certificate_goes_down_to_its_village_alone():
    spec = spec_for(IssuedCertificate)
    assert spec.owner == "upstream"
    assert spec.audience(IssuedCertificate(village_code="1503012021")) == "1503012021"


def test_the_install_log_and_the_ordering_state_stay_where_they_are():
    assert spec_for(CertificateInstall) is None
    assert spec_for(IssuanceState) is None


def test_each_role_gets_its_hourly_schedule(settings):
    # the village checks its request hourly
    schedules_ensure()
    assert Schedule.objects.filter(name=VILLAGE_SCHEDULE).exists()
    # the upstream without an ACME zone orders nothing, and has no schedule
    settings.HUB_ROLE = "upstream"
    settings.HUB_ACME_DNS_ZONE = ""
    schedules_ensure()
    assert not Schedule.objects.filter(name__in=[VILLAGE_SCHEDULE, UPSTREAM_SCHEDULE]).exists()
    # with one, it orders and renews hourly
    settings.HUB_ACME_DNS_ZONE = "acme.example.id"
    schedules_ensure()
    schedule = Schedule.objects.get(name=UPSTREAM_SCHEDULE)
    assert schedule.func == "hub.certs.tasks.certificates_issue_task"
    assert schedule.schedule_type == Schedule.HOURLY
