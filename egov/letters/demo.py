"""The demo village's letter office: a "Pelayanan" official and two requests, one waiting and
one approved. The ten letter types exist on every hub already (data migration)."""

import io
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from PIL import Image

from hub.site.models import VillageSettings

from .models import LetterRequest, LetterType
from .seeds import SERVICE_GROUP
from .services import Applicant, letter_request_approve, letter_request_submit

OFFICIAL = "pelayanan"


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 500), (200, 210, 220)).save(out, "JPEG")
    return out.getvalue()


def load_demo() -> list[str]:
    lines = []
    User = get_user_model()
    official = User.objects.filter(username=OFFICIAL).first()
    if official is None:
        password = secrets.token_urlsafe(9)
        official = User.objects.create_user(OFFICIAL, password=password, first_name="Petugas")
        official.groups.add(Group.objects.get(name=SERVICE_GROUP))
        lines.append(f"letters: official '{OFFICIAL}' password {password}")
    if LetterRequest.objects.exists():
        return lines
    code = VillageSettings.load().village_code or "1509012001"
    nik = f"{code[:6]}4506900001"
    for type_code, approve in (("tidak-mampu", True), ("domisili", False)):
        kind = LetterType.objects.get(code=type_code)
        values = {
            "pekerjaan": "Petani",
            "penghasilan": "900.000",
            "tanggungan": "3",
            "digunakan_untuk": "Pendidikan",
            "rt_rw": "002/001",
            "lama_tinggal": "12",
        }
        request = letter_request_submit(
            letter_type=kind,
            applicant=Applicant(
                name="Siti Aminah",
                nik=nik,
                kk=f"{code[:6]}0101150002",
                phone="0812 3456 7001",
                address="RT 002 RW 001",
                purpose="pendaftaran sekolah anak",
            ),
            values=values,
            uploads={spec["name"]: _photo() for spec in kind.attachments},
        )
        if approve:
            letter_request_approve(request_id=request.pk, user=official)
        lines.append(f"letters: demo request {request.code} (0812 3456 7001)")
    return lines
