"""The database snapshot of a backup (hub/core/backup.py): one copy, sessions left out,
personal columns sealed with the field key; unsealed on restore, refused with a wrong key."""

import base64
import json
import os
import sqlite3

import pytest
from django.core.management import CommandError, call_command

from hub.core.backup import SEALED_TABLE, SnapshotError, snapshot_unseal, snapshot_write
from hub.core.fieldkeys import parse_key_file

PHONE = "+6281234567890"


def keyring_new():
    return parse_key_file(base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n", "test key")


@pytest.fixture
def live(tmp_path):
    """A small WAL database with the tables of orders and sessions as the hub has them."""
    path = tmp_path / "db.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE marketplace_order (id TEXT PRIMARY KEY, code TEXT, buyer_name TEXT, "
        "buyer_phone TEXT, delivery_address TEXT, note TEXT)"
    )
    db.execute("CREATE INDEX order_phone ON marketplace_order (buyer_phone)")
    db.execute(
        "INSERT INTO marketplace_order VALUES ('1', 'KDE4WX', 'Siti Rahayu', ?, 'RT 02', '')",
        (PHONE,),
    )
    db.execute("CREATE TABLE django_session (session_key TEXT, session_data TEXT, expire_date)")
    db.execute("INSERT INTO django_session VALUES ('sesikunci123', 'rahasia-sesi', '2030')")
    db.commit()
    yield path
    db.close()


def test_the_snapshot_holds_no_session_and_no_personal_data_in_clear(live, tmp_path):
    keys = keyring_new()
    # when a snapshot is written while the hub's connection is open
    done = snapshot_write(source=live, target=tmp_path / "snap.sqlite3", keyring=keys)
    raw = (tmp_path / "snap.sqlite3").read_bytes()
    # then no byte of the file holds the session, the name or the phone (nor in free pages)
    for secret in (b"sesikunci123", b"rahasia-sesi", b"Siti", b"81234567890", b"RT 02"):
        assert secret not in raw
    assert done["sessions_left_out"] == 1
    assert done["sealed"] == {
        "marketplace_order": ["buyer_name", "buyer_phone", "delivery_address", "note"]
    }
    assert done["sealed_key_id"] == keys.newest.id
    # the order itself is there, its empty note left empty
    snap = sqlite3.connect(tmp_path / "snap.sqlite3")
    code, note = snap.execute("SELECT code, note FROM marketplace_order").fetchone()
    assert (code, note) == ("KDE4WX", "")
    snap.close()
    assert not (tmp_path / "snap.sqlite3.partial").exists()


def test_unsealing_with_the_key_gives_the_data_back(live, tmp_path):
    keys = keyring_new()
    snapshot_write(source=live, target=tmp_path / "snap.sqlite3", keyring=keys)
    # when the restore unseals it with the hub's key
    assert snapshot_unseal(path=tmp_path / "snap.sqlite3", keyring=keys) == 3
    # then the data is back as it was and the bookkeeping table is gone
    snap = sqlite3.connect(tmp_path / "snap.sqlite3")
    row = snap.execute("SELECT buyer_name, buyer_phone, delivery_address FROM marketplace_order")
    assert row.fetchone() == ("Siti Rahayu", PHONE, "RT 02")
    assert SEALED_TABLE not in {r[0] for r in snap.execute("SELECT name FROM sqlite_master")}
    snap.close()
    # and unsealing again (an unsealed or older snapshot) changes nothing
    assert snapshot_unseal(path=tmp_path / "snap.sqlite3", keyring=keys) == 0


def test_a_wrong_key_or_an_altered_value_is_refused_and_nothing_changes(live, tmp_path):
    snap_path = tmp_path / "snap.sqlite3"
    snapshot_write(source=live, target=snap_path, keyring=keyring_new())
    before = snap_path.read_bytes()
    # when another hub's key is tried
    with pytest.raises(SnapshotError, match="lacks"):
        snapshot_unseal(path=snap_path, keyring=keyring_new())
    # then the file is unchanged
    assert snap_path.read_bytes() == before


def test_an_altered_sealed_value_is_refused(live, tmp_path):
    keys = keyring_new()
    snap_path = tmp_path / "snap.sqlite3"
    snapshot_write(source=live, target=snap_path, keyring=keys)
    # given one sealed value moved to another column (the name's token as the phone)
    db = sqlite3.connect(snap_path)
    db.execute("UPDATE marketplace_order SET buyer_phone = buyer_name")
    db.commit()
    db.close()
    # when / then it fails its authentication (the column is part of what is signed)
    with pytest.raises(SnapshotError, match="buyer_phone"):
        snapshot_unseal(path=snap_path, keyring=keys)


def test_a_lost_key_can_restore_everything_but_the_sealed_data(live, tmp_path):
    snap_path = tmp_path / "snap.sqlite3"
    snapshot_write(source=live, target=snap_path, keyring=keyring_new())
    # when the key is lost for good and the operator says so
    snapshot_unseal(path=snap_path, keyring=keyring_new(), erase_unopenable=True)
    # then the order is there without its buyer's data
    db = sqlite3.connect(snap_path)
    assert db.execute("SELECT code, buyer_name, buyer_phone FROM marketplace_order").fetchone() == (
        "KDE4WX",
        "",
        "",
    )
    db.close()


def test_a_snapshot_over_an_existing_file_is_refused(live, tmp_path):
    (tmp_path / "snap.sqlite3").write_text("keep me")
    with pytest.raises(SnapshotError, match="exists"):
        snapshot_write(source=live, target=tmp_path / "snap.sqlite3", keyring=keyring_new())
    assert (tmp_path / "snap.sqlite3").read_text() == "keep me"


def test_the_unseal_command_refuses_a_missing_file_or_a_wrong_key(live, tmp_path):
    snapshot_write(source=live, target=tmp_path / "snap.sqlite3", keyring=keyring_new())
    other = tmp_path / "other_key"
    other.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n")
    with pytest.raises(CommandError, match="no file"):
        call_command("backup_unseal", str(tmp_path / "nothing.sqlite3"))
    with pytest.raises(CommandError, match="nothing changed"):
        call_command("backup_unseal", str(tmp_path / "snap.sqlite3"), "--field-key", str(other))


def test_the_manifest_part_is_json(live, tmp_path):
    done = snapshot_write(source=live, target=tmp_path / "s.sqlite3", keyring=keyring_new())
    assert json.loads(json.dumps(done)) == done
