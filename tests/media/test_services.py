"""Making images from bytes or a file, and the renditions task's dotted paths."""

import hashlib
import io

import pytest
from django.utils.module_loading import import_string
from wagtail.images import get_image_model

from hub.media.services import NotAnImage, image_from_bytes, image_from_file
from tests.conftest import png_bytes

pytestmark = pytest.mark.django_db


def test_image_from_bytes_stores_the_original_with_its_hashes_and_size():
    # given the bytes of a PNG
    data = png_bytes(320, 200)
    # when an image is made from them
    image = image_from_bytes(data=data, title="Sawah", name="sawah.png")
    # then it is saved like an upload: dimensions, size, SHA-1 and SHA-256 of the original
    stored = get_image_model().objects.get(pk=image.pk)
    assert (stored.title, stored.width, stored.height) == ("Sawah", 320, 200)
    assert stored.file_size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.file_hash == hashlib.sha1(data, usedforsecurity=False).hexdigest()
    with stored.file.open("rb") as handle:
        assert handle.read() == data


def test_image_from_file_takes_a_focal_point_and_falls_back_to_the_name_for_a_title():
    # when an image is made from an open file with no title, a focal point and a path for a name
    image = image_from_file(
        file=io.BytesIO(png_bytes(64, 48)), title="", name="../../kopi.png", focal=(10, 8, 20, 16)
    )
    # then the name is the file's own, it is the title, and the focal point is kept
    assert image.title == "kopi.png"
    assert (image.focal_point_x, image.focal_point_y) == (10, 8)
    assert (image.focal_point_width, image.focal_point_height) == (20, 16)


@pytest.mark.parametrize("name", ["..", "", "."])
def test_a_name_the_storage_refuses_becomes_gambar(name):
    image = image_from_bytes(data=png_bytes(8, 8), title="x", name=name)
    assert image.file.name.startswith("original_images/gambar")


def test_bytes_that_are_no_image_are_refused_before_anything_is_stored(tmp_path, settings):
    # given a media root with nothing in it
    settings.MEDIA_ROOT = tmp_path
    # when an image is made from a PDF's bytes
    with pytest.raises(NotAnImage):
        image_from_bytes(data=b"%PDF-1.4 not an image", title="Surat", name="surat.png")
    # then no image and no file exist
    assert not get_image_model().objects.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_the_renditions_task_keeps_its_old_dotted_path_for_tasks_already_queued():
    # django-q2 rows queued before the move name the old path
    old = import_string("hub.site.tasks.image_renditions_task")
    new = import_string("hub.media.tasks.image_renditions_task")
    assert old is new
