"""``manage.py qcluster`` runs the project's own system checks, not Django's and Wagtail's (their
URL check imports the admin into the cluster: see the command's docstring)."""

import pytest
from django.core.management.base import SystemCheckError

from hub.core.management.commands.qcluster import Command, project_checks


def test_the_cluster_checks_are_the_projects_own():
    # when the command picks its checks
    names = {f"{check.__module__}.{check.__name__}" for check in project_checks()}
    # then the hub's are there (the field key, the data dir), none of Django's or Wagtail's
    assert {"hub.core.checks.field_key_check", "hub.core.checks.data_dir_check"} <= names
    assert not [n for n in names if n.startswith(("django.", "wagtail.", "django_q."))]


def test_a_failing_project_check_stops_the_cluster_before_it_starts(settings, tmp_path):
    # given a hub whose region list is missing (tried: a path that does not exist)
    settings.HUB_REGION_LIST = tmp_path / "missing.csv"
    # when the command checks, then it refuses with the check's message
    with pytest.raises(SystemCheckError, match="missing.csv|region"):
        Command().check_project()
