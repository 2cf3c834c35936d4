"""The village's certificate rides on its sync heartbeat: when the one it serves ends, and
whether it warns (``HUB_TLS_WARN_DAYS`` before the end). A real sync with an upstream in this
process (tests/harness/inprocess.py) carries it; the upstream keeps it on the village's node and
lists the village on its dashboard while it warns."""

import pytest

from hub.certs.selectors import FACT_NOT_AFTER, FACT_WARN, certificates_at_risk
from hub.certs.services import certificate_install, certificate_request_ensure
from hub.site.services import village_identity_set
from hub.sync.models import Node, SyncRun
from hub.sync.village.run import sync_run
from tests.harness.inprocess import InProcessUpstream, village_linked

from .conftest import NAME, VILLAGE
from .test_services import hub_public_key

UPSTREAM = "15"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def facts_on_upstream(upstream) -> dict:
    with upstream.active():
        return Node.objects.get(code=VILLAGE).heartbeat.get("facts", {})


def test_the_served_certificate_and_its_warning_go_up_with_each_sync(settings, tmp_path, test_ca):
    upstream = InProcessUpstream(tmp_path / "upstream", UPSTREAM)
    try:
        # given a village linked to the upstream, serving a certificate that ends in 5 days
        transport = village_linked(upstream, settings, tmp_path / "village", VILLAGE)
        settings.HUB_TLS_DIR = tmp_path / "village" / "tls"
        settings.HUB_TLS_NAME = NAME
        village_identity_set(code=VILLAGE)
        certificate_request_ensure()
        key = hub_public_key(settings.HUB_TLS_DIR)
        ending = certificate_install(pem=test_ca.issue(key, days=6, start_days_ago=1), source="t")

        # when it syncs
        run = sync_run(trigger="test", force=True, transport=transport)

        # then the upstream holds the end of the served certificate and the warning
        assert run.outcome == SyncRun.Outcome.OK, run.error
        facts = facts_on_upstream(upstream)
        assert facts[FACT_WARN] is True
        assert facts[FACT_NOT_AFTER] == ending.not_after.isoformat(timespec="seconds")
        # and lists it on its dashboard (it warns, though it syncs)
        with upstream.active():
            assert [row["code"] for row in certificates_at_risk()] == [VILLAGE]

        # when a renewed certificate (40 days) is installed and the village syncs again
        renewed = certificate_install(pem=test_ca.issue(key, days=41, start_days_ago=1), source="t")
        run = sync_run(trigger="test", force=True, transport=transport)

        # then the warning is gone from the upstream and the village from its dashboard
        assert run.outcome == SyncRun.Outcome.OK, run.error
        assert facts_on_upstream(upstream) == {
            FACT_NOT_AFTER: renewed.not_after.isoformat(timespec="seconds"),
            FACT_WARN: False,
        }
        with upstream.active():
            assert certificates_at_risk() == []
    finally:
        upstream.close()
