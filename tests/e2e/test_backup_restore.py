"""The backup and restore drill: a real hub data directory made by the app is backed up by the
real ``balai-backup`` (the hub_backup role's template, rendered), the stick is searched for
anything personal, an operator opens ``field_key.age`` with the backup identity (Debian's
``age``), the snapshot is restored into a new directory the way ``balai-restore`` does it
(unsealed in a copy first; a wrong key refused with nothing replaced), and the restored hub runs
(``scripts/run``: gunicorn and the cluster) and serves the data.

``balai-restore`` itself stops and starts systemd units as root and is exercised on the booted
containers (tests/provisioning); here its steps run one by one.
"""

import base64
import getpass
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import jinja2
import pytest

from tests.harness import templates
from tests.harness.hubs import start_hub
from tests.harness.processes import ROOT, clean_env, manage

pytestmark = pytest.mark.e2e

ROLE = ROOT / "ansible" / "roles" / "hub_backup" / "templates" / "usr" / "local" / "sbin"
PHONE = "+6281234567890"

SEED = """
import io, json
from PIL import Image
from django.contrib.sessions.backends.db import SessionStore
from hub.media.services import image_from_bytes
from hub.site.services import village_identity_set
from marketplace.models import Bumdes, Order, Product
from marketplace.services import LineWanted, order_place, order_status_set
village_identity_set(code="15.03.01.2021")
bumdes = Bumdes.objects.create(name="BUMDes Maju", slug="maju")
exif = Image.Exif()
exif.get_ifd(0x8825).update({1: "S", 2: (2.0, 30.0, 15.0)})
out = io.BytesIO()
Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG", exif=exif)
photo = image_from_bytes(data=out.getvalue(), title="Keripik", name="keripik.jpg")
product = Product.objects.create(bumdes=bumdes, name="Keripik pisang", slug="keripik",
    price=15000, unit="bungkus", stock=10, photo_1=photo)
order = order_place(bumdes=bumdes, lines=[LineWanted(product.pk, "2")], buyer_name="Siti Rahayu",
    buyer_phone="0812 3456 7890", fulfilment="antar", delivery_address="RT 02 dekat masjid",
    note="sore saja")
session = SessionStore()
session["kunci"] = "rahasia-sesi-drill"
session.create()
print(json.dumps({"code": order.code, "photo": photo.file.name}))
"""

SEEN = """
import json
from django.contrib.sessions.models import Session
from marketplace.selectors import order_for_buyer
order = order_for_buyer(code={code!r}, phone="081234567890")
print(json.dumps({{"buyer": order.buyer_name if order else None,
    "address": order.delivery_address if order else None,
    "sessions": Session.objects.count()}}))
"""


def hub_env(data_dir: Path) -> dict:
    env = clean_env()
    env.update(
        HUB_DATA_DIR=str(data_dir),
        HUB_SECRET_KEY_FILE=str(data_dir / "secret_key"),
        DJANGO_SETTINGS_MODULE="hub.settings.main",
        HUB_NO_DEMO="1",
    )
    return env


def new_hub_dir(path: Path) -> Path:
    """A hub as a fresh install makes it: migrated, with a secret key and a field key of its own
    (the harness's template shares one key among its copies)."""
    templates.village_data_dir(path)
    (path / "secret_key").write_text(secrets.token_urlsafe(50))
    (path / "field_key").write_text(base64.urlsafe_b64encode(os.urandom(32)).decode() + "\n")
    return path


def last_json(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def render(name: str, dest: Path, **variables) -> Path:
    # a shell and a Python script, not HTML: nothing to escape
    environment = jinja2.Environment(  # noqa: S701
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    environment.filters["to_json"] = json.dumps
    environment.filters["ternary"] = lambda value, yes, no: yes if value else no
    text = environment.from_string((ROLE / f"{name}.j2").read_text()).render(
        ansible_managed="test", **variables
    )
    dest.write_text(text)
    dest.chmod(0o755)
    return dest


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is missing: scripts/test installs it (apt-get install rsync age)")
    return found


def test_backup_leaves_nothing_personal_on_the_stick_and_a_restore_brings_the_hub_back(
    tmp_path,
):
    tool("rsync"), tool("age"), tool("age-keygen")
    # given a hub's data directory made by the app: an order with the buyer's name, phone and
    # address, a product photo, a logged-in session
    hub1 = new_hub_dir(tmp_path / "hub1")
    made = last_json(manage(hub_env(hub1), "shell", "-c", SEED))
    field_key = (hub1 / "field_key").read_text().strip()
    # and the operators' backup identity (kept in their vault, never on the hub)
    identity = tmp_path / "vault" / "balai-backup-identity.txt"
    identity.parent.mkdir()
    subprocess.run([tool("age-keygen"), "-o", str(identity)], check=True, capture_output=True)
    recipient = next(
        line.split(": ", 1)[1]
        for line in identity.read_text().splitlines()
        if line.startswith("# public key:")
    )
    user = getpass.getuser()
    variables = {
        "hub_backup_data_dir": str(hub1),
        "hub_backup_dir": str(tmp_path / "stick"),
        "hub_backup_require_mount": False,
        "hub_backup_keep": 3,
        "hub_backup_install_dir": str(tmp_path / "opt"),
        "hub_backup_log_dir": str(tmp_path),
        "hub_backup_user": user,
        "hub_backup_group": user,
        "hub_backup_field_key_file": str(hub1 / "field_key"),
        "hub_backup_field_key_recipients": [recipient],
        "hub_backup_python": sys.executable,
        "hub_backup_secret_key_file": str(hub1 / "secret_key"),
    }
    script = render("balai-backup", tmp_path / "balai-backup", **variables)
    (tmp_path / "stick").mkdir()

    # when the real balai-backup runs
    env = {**clean_env(), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        ["/usr/bin/python3", str(script), "--tag", "drill"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    snapshot = Path(result.stdout.strip().splitlines()[-1])

    # then the snapshot is where it says, with the database, the media and the sealed key
    assert snapshot.parent == tmp_path / "stick" / socket.gethostname()
    assert (snapshot.parent / "latest").resolve() == snapshot
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert manifest["database"]["sessions_left_out"] == 1
    assert "buyer_phone" in manifest["database"]["sealed"]["marketplace_order"]
    assert manifest["media_missing"] == []
    assert (snapshot / "media" / made["photo"]).is_file()
    # and nothing on the stick gives away a person: no name, phone, address or session in any
    # file's bytes, and the field key nowhere in clear
    for path in (tmp_path / "stick").rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            for secret in (
                b"Siti Rahayu",
                b"81234567890",
                b"dekat masjid",
                b"sore saja",
                b"rahasia-sesi-drill",
                field_key.encode(),
            ):
                assert secret not in raw, f"{secret!r} in {path}"
    # the photo on the stick is the stripped original: no GPS
    assert b"GPS" not in (snapshot / "media" / made["photo"]).read_bytes()

    # when an operator restores onto a new SD card: a fresh hub with a key of its own
    hub2 = new_hub_dir(tmp_path / "hub2")
    restoring = hub2 / "db.sqlite3.restoring"
    shutil.copyfile(snapshot / "db.sqlite3", restoring)
    before = restoring.read_bytes()
    # then the new hub's own key does not open the snapshot, and nothing is changed
    refused = manage(hub_env(hub2), "backup_unseal", str(restoring), check=False)
    assert refused.returncode != 0 and "nothing changed" in refused.stderr
    assert restoring.read_bytes() == before
    # when the operator opens field_key.age with the vault's identity (as docs/operations.md
    # says) and the copy is unsealed with it, then put in place with the media (balai-restore)
    opened = tmp_path / "laptop-field_key"
    subprocess.run(
        [
            tool("age"),
            "--decrypt",
            "--identity",
            str(identity),
            "--output",
            str(opened),
            str(snapshot / "field_key.age"),
        ],
        check=True,
    )
    assert opened.read_text().strip() == field_key
    unsealed = manage(hub_env(hub2), "backup_unseal", "--field-key", str(opened), str(restoring))
    assert "personal values decrypted" in unsealed.stdout
    for stale in ("db.sqlite3-wal", "db.sqlite3-shm"):
        (hub2 / stale).unlink(missing_ok=True)
    os.replace(restoring, hub2 / "db.sqlite3")
    shutil.copyfile(opened, hub2 / "field_key")
    subprocess.run(
        [tool("rsync"), "-rlt", "--delete", f"{snapshot}/media/", f"{hub2}/media/"], check=True
    )

    # then the restored hub sees the buyer's data again, without the old sessions
    seen = last_json(manage(hub_env(hub2), "shell", "-c", SEEN.format(code=made["code"])))
    assert seen == {"buyer": "Siti Rahayu", "address": "RT 02 dekat masjid", "sessions": 0}
    # and it runs: scripts/run (gunicorn, the cluster) serves the shop with the product
    hub = start_hub(hub2, tmp_path / "hub2-run.log", extra_env={"HUB_NO_DEMO": "1"})
    try:
        with urllib.request.urlopen(hub.url("/pasar/"), timeout=30) as page:
            assert page.status == 200
            assert "Keripik pisang" in page.read().decode()
    finally:
        hub.stop()
