"""Fixtures of the multi-process tests: hubs, the upstream and village nodes of the sync tests,
and Chromium, all from the harness (tests/harness). Every test in this folder is marked ``e2e``
(tests/conftest.py), so ``scripts/test --fast`` leaves them all out.

These tests never use pytest-django's test database: they talk to the processes over HTTP or
through agents.
"""

import pytest

from tests.harness.chromium import chromium
from tests.harness.hubs import HubStarter, UpstreamNode, VillageNode


@pytest.fixture(scope="module")
def module_hub(tmp_path_factory):
    """One scripts/run with the demo village (copied from the migrated template), shared by
    the tests of a module."""
    starter = HubStarter(tmp_path_factory.mktemp("hub"), template="demo")
    yield starter()
    starter.stop_all()


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    node = UpstreamNode(tmp_path_factory.mktemp("sync"))
    yield node
    node.close()


@pytest.fixture(scope="module")
def villages(tmp_path_factory, upstream):
    made = []

    def make(code, **kwargs):
        village = VillageNode(tmp_path_factory.mktemp("v"), code, upstream, **kwargs)
        made.append(village)
        return village

    yield make
    for village in made:
        village.close()
