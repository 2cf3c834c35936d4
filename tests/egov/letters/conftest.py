"""Factories of the letters tests: a village, a seeded letter type, a valid applicant, photos,
officials of the Pelayanan group and of another group."""

import io

import pytest
from django.contrib.auth.models import Group
from PIL import Image

from egov.letters.models import LetterType
from egov.letters.seeds import SERVICE_GROUP
from egov.letters.services import Applicant, letter_request_submit

NIK = "1503014506900001"  # a woman born 5 June 1990, registered in kecamatan 15.03.01
KK = "1503010101150002"
PHONE = "0812 3456 7001"


def jpeg_bytes(width=320, height=200, *, exif: bytes | None = None, fmt="JPEG") -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (120, 140, 160))
    if exif is not None:
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _private_dir(settings, tmp_path):
    """Each test its own private directory, so a test can see exactly what was written."""
    settings.EGOV_LETTERS_PRIVATE_DIR = tmp_path / "private"


@pytest.fixture
def sktm(db):
    return LetterType.objects.get(code="tidak-mampu")


@pytest.fixture
def applicant():
    return Applicant(
        name="Siti Aminah",
        nik=NIK,
        kk=KK,
        phone=PHONE,
        address="RT 002 RW 001, Dusun Hilir",
        purpose="pendaftaran sekolah anak",
    )


SKTM_VALUES = {
    "pekerjaan": "Petani",
    "penghasilan": "900.000",
    "tanggungan": "3",
    "digunakan_untuk": "Pendidikan",
}


@pytest.fixture
def sktm_values():
    return dict(SKTM_VALUES)


@pytest.fixture
def uploads_for():
    def make(letter_type):
        return {spec["name"]: jpeg_bytes() for spec in letter_type.attachments}

    return make


@pytest.fixture
def submitted(village, sktm, applicant, sktm_values, uploads_for):
    return letter_request_submit(
        letter_type=sktm, applicant=applicant, values=sktm_values, uploads=uploads_for(sktm)
    )


@pytest.fixture
def official(django_user_model):
    user = django_user_model.objects.create_user("petugas", password="rahasia-petugas-123")
    user.groups.add(Group.objects.get(name=SERVICE_GROUP))
    return user


@pytest.fixture
def official_client(client, official):
    client.force_login(official)
    return client
