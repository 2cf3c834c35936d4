"""Photos lose their metadata (GPS position, camera, comments) on upload and on sync attach,
orientation applied; originals are not served to villagers."""

import hashlib
import io
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from wagtail.images import get_image_model

from hub.media.metadata import carried_metadata, strip_metadata
from hub.media.services import image_from_bytes
from hub.media.sync import ImageAdapter

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
BLUE, RED = (0, 0, 255), (255, 0, 0)


def phone_photo(orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: 40x20 pixels stored landscape (blue left half, red right
    half), an EXIF orientation tag saying "turn 90° clockwise to view", the camera, a GPS
    position (a house in Kalimantan) and a comment."""
    image = Image.new("RGB", (40, 20), RED)
    image.paste(BLUE, (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Samsung"
    exif[0x0110] = "SM-A105F"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "S", 2: (2.0, 30.0, 15.0), 3: "E", 4: (115.0, 20.0, 5.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95, comment=b"rumah Pak Budi, RT 02")
    return out.getvalue()


def assert_clean_and_upright(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        assert carried_metadata(image) == []
        assert not image.getexif().get_ifd(GPS_IFD)
        assert b"Samsung" not in data and b"Pak Budi" not in data
        # turned as the tag said: now portrait, blue on top, red below
        assert image.size == (20, 40)
        rgb = image.convert("RGB")
        top, bottom = rgb.getpixel((10, 5)), rgb.getpixel((10, 35))
    assert top[2] > 200 and top[0] < 60, top
    assert bottom[0] > 200 and bottom[2] < 60, bottom


def test_the_test_photo_really_carries_gps_and_a_camera():
    # given the phone photo the other tests use / then it is what it claims to be
    with Image.open(io.BytesIO(phone_photo())) as image:
        assert set(carried_metadata(image)) >= {"exif", "gps", "comment"}
        assert image.getexif().get_ifd(GPS_IFD)[2] == (2.0, 30.0, 15.0)


def test_an_admin_upload_stores_the_original_without_gps_and_turned_upright(admin_client):
    from wagtail.models import Collection

    # given a phone photo with GPS and an orientation tag
    # when an editor uploads it through Wagtail's image form
    response = admin_client.post(
        "/admin/images/add/",
        {
            "title": "Keripik",
            "file": SimpleUploadedFile("IMG_2041.jpg", phone_photo(), content_type="image/jpeg"),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    assert response.status_code == 302, response.content[:500]
    # then the stored original carries no GPS, camera or comment, stands upright, and its
    # hashes and dimensions are of the clean file
    image = get_image_model().objects.get()
    with image.file.open("rb") as handle:
        stored = handle.read()
    assert_clean_and_upright(stored)
    assert (image.width, image.height) == (20, 40)
    assert image.sha256 == hashlib.sha256(stored).hexdigest()
    assert image.file_size == len(stored)


def test_the_admins_multiple_upload_stores_it_clean_too(admin_client):
    # given / when the same photo comes through Wagtail's drag-and-drop multiple upload
    response = admin_client.post(
        "/admin/images/multiple/add/",
        {"files[]": SimpleUploadedFile("IMG_2042.jpg", phone_photo(), content_type="image/jpeg")},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 200 and response.json()["success"], response.content[:500]
    # then the stored original is as clean and upright
    image = get_image_model().objects.get()
    with image.file.open("rb") as handle:
        stored = handle.read()
    assert_clean_and_upright(stored)
    assert image.sha256 == hashlib.sha256(stored).hexdigest()


def test_an_image_made_by_the_service_is_clean_too():
    # given / when the service (demo data, transcoded posters, sync) makes an image
    image = image_from_bytes(data=phone_photo(), title="Sawah", name="sawah.jpg")
    # then the same
    with image.file.open("rb") as handle:
        stored = handle.read()
    assert_clean_and_upright(stored)
    assert image.sha256 == hashlib.sha256(stored).hexdigest()


def test_png_text_and_webp_exif_are_dropped_and_a_clean_file_is_left_byte_for_byte():
    # given a PNG with an author in a text chunk and a WebP with GPS EXIF
    picture = Image.new("RGB", (8, 8), RED)
    info = PngInfo()
    info.add_text("Author", "Budi Santoso")
    png = io.BytesIO()
    picture.save(png, "PNG", pnginfo=info)
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update({1: "S", 2: (2.0, 30.0, 15.0)})
    webp = io.BytesIO()
    picture.save(webp, "WEBP", exif=exif)
    # when they are stripped
    clean_png, clean_webp = strip_metadata(png), strip_metadata(webp)
    # then neither keeps it, and stripping a clean file again changes nothing (None: keep it)
    assert b"Budi" not in clean_png and Image.open(io.BytesIO(clean_png)).info == {}
    assert not Image.open(io.BytesIO(clean_webp)).getexif()
    assert strip_metadata(io.BytesIO(clean_png)) is None
    assert strip_metadata(io.BytesIO(clean_webp)) is None


def test_a_clean_blob_from_another_hub_is_stored_as_it_came_under_its_hash():
    # given a blob already stripped by its owner (what a current hub sends)
    clean = image_from_bytes(data=phone_photo(), title="x", name="x.jpg")
    with clean.file.open("rb") as handle:
        data = handle.read()
    clean.delete()
    sha = hashlib.sha256(data).hexdigest()
    record = SimpleNamespace(image=None)
    # when it is attached on the receiving hub
    ref = {"sha256": sha, "meta": {"title": "x"}}
    ImageAdapter().attach(record, "image", ref, io.BytesIO(data))
    # then the stored file is those bytes: the hash the engine knows it by still holds
    assert record.image.sha256 == sha and record.image.source_sha256 is None
    with record.image.file.open("rb") as handle:
        assert handle.read() == data


def test_a_blob_with_gps_from_an_older_hub_is_stripped_and_rehashed_and_still_found():
    # given a blob that still carries GPS (sent by a hub from before stripping), by its hash
    data = phone_photo()
    sent_sha = hashlib.sha256(data).hexdigest()
    record = SimpleNamespace(image=None)
    ref = {"sha256": sent_sha, "meta": {"title": "Keripik", "name": "IMG.jpg", "focal": []}}
    # when it is attached
    ImageAdapter().attach(record, "image", ref, io.BytesIO(data))
    # then what is stored is clean and upright, named and hashed as the clean file
    image = record.image
    with image.file.open("rb") as handle:
        stored = handle.read()
    assert_clean_and_upright(stored)
    assert image.sha256 == hashlib.sha256(stored).hexdigest() != sent_sha
    # (the storage adds a suffix when an earlier test left a file of that name)
    assert image.file.name.startswith(f"original_images/{image.sha256}")
    # and the sender's hash is remembered: the same reference again (a record's next change,
    # even before its blob is here) reuses the image instead of making a second one
    assert image.source_sha256 == sent_sha
    again = SimpleNamespace(image=None)
    ImageAdapter().attach(again, "image", ref, None)
    assert again.image.pk == image.pk
    assert get_image_model().objects.count() == 1


def test_a_blob_that_claims_to_be_a_jpeg_but_is_not_is_refused_and_nothing_stored():
    # given bytes with a JPEG's magic number and garbage after it
    data = b"\xff\xd8\xff\xe1" + b"\x00" * 64
    ref = {"sha256": hashlib.sha256(data).hexdigest(), "meta": {"name": "a.jpg"}}
    # when / then the record is refused with the adapter's reason and no image is made
    with pytest.raises(ValueError, match="not an image"):
        ImageAdapter().attach(SimpleNamespace(image=None), "image", ref, io.BytesIO(data))
    assert not get_image_model().objects.exists()


@pytest.fixture
def original(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "original_images").mkdir()
    (tmp_path / "original_images" / "foto.jpg").write_bytes(phone_photo())
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "foto.width-360.webp").write_bytes(b"RIFF")
    return tmp_path


@pytest.mark.parametrize(
    "path",
    [
        "/media/original_images/foto.jpg",
        "/media/./original_images/foto.jpg",
        "/media/images/../original_images/foto.jpg",
        "/media//original_images/foto.jpg",
    ],
)
def test_a_villager_gets_404_for_an_original_however_the_path_is_spelt(client, original, path):
    # given an original on disk / when an anonymous villager asks for it
    response = client.get(path)
    # then it is not served, while renditions are
    assert response.status_code == 404
    assert client.get("/media/images/foto.width-360.webp").status_code == 200


def test_a_logged_in_user_without_admin_access_gets_404_too(client, original, django_user_model):
    # given a user who may not enter the admin
    user = django_user_model.objects.create_user("warga", password="x")
    client.force_login(user)
    # when / then
    assert client.get("/media/original_images/foto.jpg").status_code == 404
    # and with admin access the original is served, never cached
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(django_user_model.objects.get(pk=user.pk))
    response = client.get("/media/original_images/foto.jpg")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_the_nginx_role_answers_404_for_originals():
    from tests.core.test_media_headers import render_nginx

    # given the nginx role's site rendered / then originals have a location that refuses them
    conf = render_nginx()
    start = conf.index("location /media/original_images/ {")
    assert conf[start : conf.index("}", start)].split("{", 1)[1].split() == ["return", "404;"]
