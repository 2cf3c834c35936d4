"""Certificates for the tests: the throw-away CA of the harness (tests/harness/ca.py), which
signs leaves for any key, name and lifetime; the hub's TLS directory in the test's own temp
dir."""

import pytest

from hub.site.services import village_identity_set
from tests.harness.ca import ThrowawayCA

VILLAGE = "1503012021"
NAME = "balai.desa-contoh.desa.id"


class TestCA(ThrowawayCA):
    """The shared throw-away CA, issuing for this folder's hub name unless told otherwise."""

    def issue(self, public_key, names=(NAME,), **kwargs) -> str:
        return super().issue(public_key, names, **kwargs)


@pytest.fixture(scope="session")
def test_ca():
    return TestCA()


@pytest.fixture
def hub_tls(settings, tmp_path, db):
    """A village hub with its code set, its name, and a TLS directory of this test's own."""
    village_identity_set(code=VILLAGE)
    settings.HUB_TLS_DIR = tmp_path / "tls"
    settings.HUB_TLS_NAME = NAME
    return settings.HUB_TLS_DIR
