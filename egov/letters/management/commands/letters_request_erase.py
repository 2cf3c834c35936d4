"""Village: erase one letter request's personal data now, at the villager's request (the same
service as the admin's button): fields, photos, the PDF and the forwarded sealed copy."""

from django.core.management.base import BaseCommand, CommandError

from egov.letters.models import LetterRequest
from egov.letters.retention import letter_request_erase
from egov.letters.services import LetterError


class Command(BaseCommand):
    help = (
        "Hapus data pribadi satu permohonan surat sekarang, atas permintaan pemohon. / Erase "
        "one letter request's personal data now, at the applicant's request."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="kode pelacakan permohonan, mis. K7QXM3TA")

    def handle(self, *args, code, **options):
        code = code.strip().upper()[:12]
        found = LetterRequest.objects.filter(code=code).values_list("pk", flat=True).first()
        if found is None:
            raise CommandError(f"Tidak ada permohonan dengan kode {code}. / No such request.")
        try:
            letter_request_erase(request_id=found, user=None)
        except LetterError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"{code}: data pribadi dihapus. / personal data erased.")
