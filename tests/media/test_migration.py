"""The image model's move from ``site`` to ``media``: a hub migrated on main keeps every image,
rendition and reference, and a fresh database migrates.

Each test migrates a throw-away village database (SQLite, the village's own settings) in a child
process (tests/media/migration_steps.py): migrations write through the default database, which
in this process is the test database.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 600


def run_steps(step: str, data_dir: Path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hub.settings.main",
        "HUB_ROLE": "village",
        "HUB_DATA_DIR": str(data_dir),
        "HUB_SECRET_KEY": "migration-test-secret-key-that-is-long-enough-0123456789",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.media.migration_steps", step],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_database_migrated_on_main_keeps_every_image_rendition_and_reference(tmp_path):
    # given a database at main's leaf migrations with three images, their renditions, a product
    # photo, a BUMDes logo, an announcement image, a village logo, a permission, a reference
    # index row, a search index entry and a tag (made through main's historical models)
    # when it migrates to today's leaves (and back)
    result = run_steps("from-main", tmp_path)
    old, found = result["old"], result["found"]

    # then every image and rendition is found through the image model of today
    assert found["image_model"] == "media.BalaiImage"
    assert found["images"] == sorted(old["images"].values())
    assert found["renditions"] == old["renditions"]
    assert found["renditions_of_photo"] == sorted(
        ["width-360|format-webp|webpquality-70", "fill-160x120|format-webp"]
    )
    # and every row referring to one still does
    assert found["product_photo"] == "gambar photo"
    assert found["bumdes_logo"] == "gambar logo"
    assert found["announcement_image"] == "gambar announcement"
    assert found["village_logo"] == "gambar logo"
    assert found["foreign_key_problems"] == []
    # and the content types kept their ids under the new label, so what points at them follows
    assert found["image_type"] == [old["image_type"], "media"]
    assert found["rendition_type"] == [old["rendition_type"], "media"]
    assert found["site_image_types"] == 0
    assert found["group_permissions"] == [["media", "add_balaiimage"]]
    assert found["references_to_images"] == 1
    assert found["search_entries"] == 1
    assert found["photo_tags"] == ["panen"]
    # and migrating back gives the content type its old label
    assert result["back"] == ["site", "balaiimage"]


def test_a_fresh_database_migrates(tmp_path):
    # given an empty data directory
    # when every migration runs, then an image is made and used as a product photo
    result = run_steps("fresh", tmp_path)

    # then the models and migrations agree, images live in the kept table, and each image
    # model has one content type, under media
    assert result["image_table"] == "site_balaiimage"
    assert result["product_photo"] is True
    assert result["image_types"] == [["media", "balaiimage"], ["media", "balairendition"]]
