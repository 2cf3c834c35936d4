"""upstream.yml on a bare Debian bookworm container with PostgreSQL: converge, converge again
with no change, then the upstream serves through nginx on PostgreSQL."""

import json

import pytest

from .conftest import http_get

pytestmark = pytest.mark.provisioning


def test_upstream_playbook_provisions_a_bare_root(upstream_target):
    run = upstream_target.converge("upstream.yml", label="first_converge")
    assert run.recap(upstream_target.name)["changed"] > 0


def test_second_run_changes_nothing(upstream_target):
    run = upstream_target.converge("upstream.yml", label="idempotent_rerun")
    assert run.recap(upstream_target.name)["changed"] == 0, run.changed_tasks()


def test_upstream_serves_on_postgresql_through_nginx(upstream_target):
    # when
    status, headers, body = http_get(upstream_target.url("/healthz"))
    # then
    assert status == 200
    assert headers.get("Server") == "nginx"
    health = json.loads(body)
    assert (health["role"], health["database"]["vendor"]) == ("upstream", "postgresql")
    states = upstream_target.ssh("systemctl is-active balai-web balai-cluster postgresql")
    assert states.split() == ["active"] * 3
