"""Upstream: register an office that may receive forwarded letter data, with its public key."""

from django.core.management.base import BaseCommand, CommandError

from egov.letters.services import LetterError, forward_recipient_set


class Command(BaseCommand):
    help = (
        "Server induk: daftarkan (atau perbarui) penerima data surat dan kunci publiknya; "
        "tersinkron ke desa-desa di wilayahnya. / Upstream: register or update a recipient "
        "of forwarded letter data; it syncs down to the villages of its region."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="kode penerima, mis. kecamatan-150301")
        parser.add_argument("--name", required=True, help="mis. Kantor Kecamatan Muara Bulian")
        parser.add_argument(
            "--region", required=True, help="kode wilayah desa-desanya, mis. 150301"
        )
        parser.add_argument(
            "--public-key", required=True, help="as printed by letters_recipient_keygen"
        )
        parser.add_argument("--inactive", action="store_true", help="stop forwarding to it")

    def handle(self, *args, code, name, region, public_key, inactive, **options):
        try:
            recipient = forward_recipient_set(
                code=code, name=name, region=region, public_key=public_key, active=not inactive
            )
        except LetterError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"{recipient.code}: {recipient.key_id} → {recipient.region}")
