"""The image model's move from ``site`` to ``media``: a hub migrated on main keeps every image,
rendition and reference, and a fresh database migrates.

The move's test migrates a throw-away village database (SQLite, the village's own settings) in
a child process (tests/media/migration_steps.py): migrations write through the default database,
which in this process is the test database. That database starts as a copy of one migrated from
nothing to main's leaves, made once per state of the migrations (tests/harness/templates.py).
"""

import shutil

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from hub.media.services import image_from_bytes
from marketplace.models import Bumdes, Product
from tests.conftest import png_bytes
from tests.harness.templates import old_main_steps, old_main_template


def test_a_database_migrated_on_main_keeps_every_image_rendition_and_reference(tmp_path):
    # given a database migrated from nothing to main's leaf migrations (a copy of the template)
    # with three images, their renditions, a product photo, a BUMDes logo, an announcement
    # image, a village logo, a permission, a reference index row, a search index entry and a
    # tag (made through main's historical models)
    data_dir = shutil.copytree(old_main_template(), tmp_path / "data")
    # when it migrates to today's leaves (and back)
    result = old_main_steps("from-main", data_dir)
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


@pytest.mark.django_db
def test_a_fresh_database_migrates():
    # given the test database: every migration run on an empty one (it is a copy of the
    # village template, tests/harness/templates.py, migrated from nothing)
    # when an image is made and used as a product photo
    photo = image_from_bytes(data=png_bytes(32, 24), title="foto", name="foto.png")
    bumdes = Bumdes.objects.create(name="BUMDes Baru", slug="baru", logo=photo)
    Product.objects.create(bumdes=bumdes, name="Kopi", slug="kopi", price=20000, photo_1=photo)

    # then the models and migrations agree (makemigrations --check raises SystemExit otherwise)
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)
    # and images live in the kept table, and each image model has one content type, under media
    assert photo._meta.db_table == "site_balaiimage"
    assert Product.objects.get(slug="kopi").photo_1.sha256 == photo.sha256
    image_types = ContentType.objects.filter(model__in=["balaiimage", "balairendition"])
    assert sorted(image_types.values_list("app_label", "model")) == [
        ("media", "balaiimage"),
        ("media", "balairendition"),
    ]
