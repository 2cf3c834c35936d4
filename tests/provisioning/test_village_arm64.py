"""village.yml on a bare Debian bookworm arm64 root (a Raspberry Pi's architecture), its
binaries run by qemu-user through binfmt_misc: the same converge as test_village.py, the same
rerun with no change, the services and /healthz through nginx, with an aarch64 wheelhouse.

Slow (about half an hour on 2 cores) and opt-in: `scripts/test --provisioning-arm64`. It needs
root; scripts/provision-target installs qemu-user-static and binfmt-support, mounts
binfmt_misc and registers qemu-aarch64, and the test fails (never skips) when it cannot.
"""

import pytest

from . import test_village as native

pytestmark = pytest.mark.provisioning_arm64

# The tests of test_village.py, run here against the arm64 container (the module's
# village_target below), in this order: they build on each other.
test_village_playbook_provisions_a_bare_root = native.test_village_playbook_provisions_a_bare_root
test_second_run_changes_nothing = native.test_second_run_changes_nothing
test_services_run_under_systemd = native.test_services_run_under_systemd
test_home_page_and_health_through_nginx = native.test_home_page_and_health_through_nginx


@pytest.fixture(scope="module")
def village_target(village_arm64_target):
    return village_arm64_target


def test_the_hub_runs_arm64_from_an_aarch64_wheelhouse(village_target):
    assert village_target.ssh("uname -m").strip() == "aarch64"
    assert village_target.ssh("dpkg --print-architecture").strip() == "arm64"
    # the compiled wheels installed are the aarch64 ones
    wheels = village_target.ssh("ls /opt/balai/current/wheelhouse").split()
    platform_wheels = [w for w in wheels if w.endswith(".whl") and not w.endswith("-any.whl")]
    assert platform_wheels and all("aarch64" in w for w in platform_wheels), platform_wheels
