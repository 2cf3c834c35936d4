"""Fixtures of the sync tests: real upstream and village processes (see nodes.py)."""

import pytest

from .nodes import UpstreamNode, VillageNode


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
