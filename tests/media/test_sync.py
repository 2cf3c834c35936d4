"""ImageAdapter: an image field travels as its original's SHA-256 and comes back as an image."""

import hashlib
import io
from types import SimpleNamespace

import pytest
from PIL import Image
from wagtail.images import get_image_model

from hub.media.sync import ImageAdapter
from tests.conftest import png_bytes

pytestmark = pytest.mark.django_db


def test_an_image_goes_out_as_its_hash_title_name_and_focal_point(make_image):
    # given a record whose image has a focal point
    image = make_image(title="Panen padi")
    image.focal_point_x, image.focal_point_y = 5, 6
    image.focal_point_width, image.focal_point_height = 7, 8
    record = SimpleNamespace(image=image)
    # when it is put on the wire
    ref = ImageAdapter().to_wire(record, "image")
    # then the reference names the original by SHA-256
    assert ref["sha256"] == image.sha256 and ref["size"] == image.file_size
    assert ref["meta"]["title"] == "Panen padi"
    assert ref["meta"]["focal"] == [5, 6, 7, 8]
    with ImageAdapter().open(record, "image") as handle:
        assert handle.read() == png_bytes()


def test_a_blob_arriving_becomes_an_image_once():
    # given the reference and the bytes of an image made on another hub
    data = png_bytes(96, 64, color=(200, 10, 10))
    ref = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "meta": {"title": "Kopi", "name": "kopi.png", "focal": [1, 2, 3, 4]},
    }
    # when the blob is attached to two records
    first, second = SimpleNamespace(image=None), SimpleNamespace(image=None)
    ImageAdapter().attach(first, "image", ref, io.BytesIO(data))
    ImageAdapter().attach(second, "image", ref, io.BytesIO(data))
    # then one image is made, with the sender's title and focal point, and both point at it
    assert get_image_model().objects.count() == 1
    assert first.image.pk == second.image.pk
    assert (first.image.title, first.image.width, first.image.height) == ("Kopi", 96, 64)
    assert first.image.focal_point_x == 1 and first.image.focal_point_height == 4


def test_no_reference_or_no_blob_yet_leaves_no_image(make_image):
    record = SimpleNamespace(image=make_image())
    ImageAdapter().attach(record, "image", None, None)
    assert record.image is None
    record = SimpleNamespace(image=None)
    ImageAdapter().attach(record, "image", {"sha256": "0" * 64}, None)
    assert record.image is None


def test_a_blob_that_is_no_image_is_refused():
    record = SimpleNamespace(image=None)
    ref = {"sha256": "1" * 64, "meta": {"name": "x.png", "focal": ["a", 1, 2, 3]}}
    with pytest.raises(ValueError, match="not an image"):
        ImageAdapter().attach(record, "image", ref, io.BytesIO(b"not an image"))
    assert not get_image_model().objects.exists()


def test_a_gif_with_a_script_named_x_html_becomes_sha_dot_gif():
    # given a GIF whose comment holds a <script>, which the sender names x.html
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 10)).save(
        out, "GIF", comment=b"<html><script>alert(document.cookie)</script></html>"
    )
    data = out.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    ref = {"sha256": sha, "meta": {"title": "", "name": "x.html", "focal": []}}
    record = SimpleNamespace(image=None)
    # when the blob is attached
    ImageAdapter().attach(record, "image", ref, io.BytesIO(data))
    # then the original is stored under its hash and its real format, never the sender's name
    assert record.image.file.name == f"original_images/{sha}.gif"
    assert record.image.title == "x.html"


def test_an_image_of_a_format_the_hub_does_not_take_is_refused():
    # given a real BMP image
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "BMP")
    data = out.getvalue()
    ref = {"sha256": hashlib.sha256(data).hexdigest(), "meta": {"name": "a.png"}}
    record = SimpleNamespace(image=None)
    # when / then it is refused and no image is made
    with pytest.raises(ValueError, match="not an image"):
        ImageAdapter().attach(record, "image", ref, io.BytesIO(data))
    assert not get_image_model().objects.exists()
