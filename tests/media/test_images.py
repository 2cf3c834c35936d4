"""Images: SHA-256 of the original, renditions made by the background task, bad uploads."""

import hashlib
import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from PIL import Image

from hub.media.models import BalaiImage, BalaiRendition
from hub.media.renditions import all_rendition_filters
from hub.media.tasks import image_renditions_task
from tests.conftest import png_bytes

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/images/add/"


def upload(client, content: bytes, name="foto.png", content_type="image/png"):
    from wagtail.models import Collection

    return client.post(
        ADD_URL,
        {
            "title": "Unggahan",
            "file": SimpleUploadedFile(name, content, content_type=content_type),
            "collection": Collection.get_first_root_node().pk,
            "tags": "",
        },
    )


def png_with_header_size(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (a decompression bomb's header)."""
    data = bytearray(png_bytes(8, 8))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return bytes(data)


def test_upload_stores_sha256_of_the_original(admin_client, django_capture_on_commit_callbacks):
    content = png_bytes(800, 600)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, content)
    assert response.status_code == 302, response.content.decode()[:3000]
    image = BalaiImage.objects.get()
    assert image.sha256 == hashlib.sha256(content).hexdigest()
    assert image.file_hash == hashlib.sha1(content, usedforsecurity=False).hexdigest()


def test_saving_an_image_enqueues_renditions_after_commit(
    make_image, django_capture_on_commit_callbacks
):
    # given (tasks run inline in tests: Q_CLUSTER sync)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        image = make_image(width=1600, height=1000)
    # then the renditions exist, WebP, at phone widths and thumbnail sizes
    assert callbacks
    renditions = BalaiRendition.objects.filter(image=image)
    assert renditions.count() == len(all_rendition_filters())
    widths = sorted(r.width for r in renditions if "width-" in r.filter_spec)
    assert widths == [360, 720, 1080]
    for rendition in renditions:
        with rendition.file.open() as handle:
            assert Image.open(handle).format == "WEBP"


def test_renditions_task_is_idempotent_and_survives_a_deleted_image(make_image):
    image = make_image()
    first = image_renditions_task(image.pk)
    second = image_renditions_task(image.pk)
    assert first == second == len(all_rendition_filters())
    assert BalaiRendition.objects.filter(image=image).count() == first
    assert image_renditions_task(999999) == 0


def test_page_shows_placeholder_until_renditions_exist_and_never_makes_them(make_image):
    # given an image whose renditions have not been made yet
    image = make_image(width=1200, height=800)
    template = Template('{% load balai %}{% balai_image image "full" alt="Sawah" %}')
    # when the page renders
    html = template.render(Context({"image": image}))
    # then a light placeholder with the image's proportions is shown, and nothing was made
    assert 'class="pic ph"' in html and "data:image/svg+xml" in html
    assert 'width="720" height="480"' in html
    assert not BalaiRendition.objects.filter(image=image).exists()
    # when the background task has run
    image_renditions_task(image.pk)
    html = Template('{% load balai %}{% balai_image image "full" alt="Sawah" %}').render(
        Context({"image": BalaiImage.objects.get(pk=image.pk)})
    )
    # then a responsive WebP picture is shown
    assert "srcset=" in html and ".webp 360w" in html and ".webp 1080w" in html
    assert 'alt="Sawah"' in html and 'loading="lazy"' in html


def test_small_originals_are_not_upscaled_in_srcset(make_image):
    image = make_image(width=500, height=400)
    image_renditions_task(image.pk)
    html = Template('{% load balai %}{% balai_image image "full" %}').render(
        Context({"image": image})
    )
    assert "360w" in html and "500w" in html and "720w" not in html


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"%PDF-1.4 not an image at all", "dokumen.png", "Not a supported image format"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "gambar.svg",
            "Not a supported image format",
        ),
        (b"#!/bin/sh\nrm -rf /\n", "skrip.jpg", "Not a supported image format"),
    ],
)
def test_non_images_are_refused_and_nothing_saved(admin_client, content, name, expected):
    response = upload(admin_client, content, name=name)
    assert response.status_code == 200
    assert not BalaiImage.objects.exists()
    assert "error" in response.content.decode().lower()


def test_decompression_bomb_header_is_refused_before_decoding(admin_client):
    # given a PNG whose header claims 30000 x 30000 pixels (3.6 GB once decoded)
    response = upload(admin_client, png_with_header_size(30000, 30000))
    # then it is refused by its pixel count and nothing is saved
    assert response.status_code == 200
    assert "pixels" in response.content.decode() or "piksel" in response.content.decode()
    assert not BalaiImage.objects.exists()


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_real_too_many_pixels_png_is_refused(admin_client):
    # a valid 8000 x 8000 black-and-white PNG: a few KB on disk, 64 megapixels decoded
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")
    assert len(out.getvalue()) < 200_000
    response = upload(admin_client, out.getvalue())
    assert response.status_code == 200
    assert not BalaiImage.objects.exists()


def test_oversized_file_is_refused(admin_client, settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 200_000
    big = png_bytes(8, 8) + b"\0" * 300_000
    response = upload(admin_client, big)
    assert response.status_code == 200
    assert not BalaiImage.objects.exists()
