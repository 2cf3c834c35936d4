"""The operators' sync commands, in-process: keys, enrollment, pinning, status."""

import json
import stat

import pytest
from django.core.management import CommandError, call_command

from hub.sync.models import Node, SyncRun, SyncState
from hub.sync.wire import keys


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_node_init_makes_one_private_key_and_prints_the_same_public_key(settings, tmp_path):
    # given a fresh data directory
    settings.DATA_DIR = tmp_path
    # when node_init runs twice, once writing the public key to a file
    first = run("node_init").strip()
    second = run("node_init", "--public-key-file", str(tmp_path / "node.pub")).strip()
    # then the key is made once, private to its owner, and the same public key comes out
    assert first == second and first.startswith("ed25519:")
    assert (tmp_path / "node.pub").read_text().strip() == first
    mode = stat.S_IMODE((tmp_path / "keys" / "node_ed25519.pem").stat().st_mode)
    assert mode == 0o600
    assert keys.public_key_text(keys.load_private_key().public_key()) == first


def test_a_key_readable_by_others_is_refused(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    run("node_init")
    (tmp_path / "keys" / "node_ed25519.pem").chmod(0o644)
    keys._cache.clear()
    with pytest.raises(keys.KeyError_, match="readable by others"):
        keys.load_private_key()


@pytest.mark.django_db
def test_enroll_revoke_and_bad_input(tmp_path):
    public = keys.public_key_text(keys.Ed25519PrivateKey.generate().public_key())
    (tmp_path / "v.pub").write_text(public + "\n")
    # when a village is enrolled from a file, and again with the same key
    assert "enrolled" in run(
        "village_enroll", "15.03.01.2021", "--public-key-file", str(tmp_path / "v.pub")
    )
    assert "updated" in run("village_enroll", "1503012021", "--public-key", public)
    # then it is one node with that key
    node = Node.objects.get()
    assert node.code == "1503012021" and node.public_key == public and node.is_active
    # when it is revoked
    run("village_revoke", "1503012021")
    node.refresh_from_db()
    assert not node.is_active
    # and bad input is refused with a clear message, changing nothing
    with pytest.raises(CommandError, match="ten-digit"):
        run("village_enroll", "12345", "--public-key", public)
    with pytest.raises(CommandError, match="public key"):
        run("village_enroll", "1503012022", "--public-key", "ssh-rsa AAAA")
    with pytest.raises(CommandError, match="not enrolled"):
        run("village_revoke", "1503012099")
    assert Node.objects.count() == 1


@pytest.mark.django_db
def test_upstream_set_pins_and_refuses_bad_values():
    public = keys.public_key_text(keys.Ed25519PrivateKey.generate().public_key())
    run("upstream_set", "https://balai.jambiprov.go.id/", "--code", "15", "--public-key", public)
    state = SyncState.load()
    assert state.upstream_url == "https://balai.jambiprov.go.id" and state.upstream_code == "15"
    for args, message in [
        (("ftp://x", "--code", "15", "--public-key", public), "not an http"),
        (("https://x.id", "--code", "1", "--public-key", public), "region code"),
        (("https://x.id", "--code", "15", "--public-key", "ed25519:AAAA"), "32 bytes"),
    ]:
        with pytest.raises(CommandError, match=message):
            run("upstream_set", *args)
    assert SyncState.load().upstream_url == "https://balai.jambiprov.go.id"


@pytest.mark.django_db
def test_sync_status_reports_runs_and_backlog():
    # given a failed run and a hub with no upstream pinned
    SyncRun.objects.create(outcome="failed", error="link down: timeout", bytes_up=512)
    # when an operator asks
    data = json.loads(run("sync_status", "--json"))
    text = run("sync_status")
    # then the state, the run and its error are there
    assert data["link"] == "unconfigured" and data["runs"][0]["outcome"] == "failed"
    assert "link down: timeout" in text and "unconfigured" in text


@pytest.mark.django_db
def test_sync_now_without_an_upstream_says_what_to_do(village):
    with pytest.raises(CommandError, match="upstream_set"):
        run("sync_now")
