"""The recipient reads what villages forwarded to its key (on the upstream, or any node that
holds the records), one JSON object per line. A record that fails to open is reported on
stderr and makes the command exit with an error after the others are printed."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from egov.letters import sealing
from egov.letters.selectors import letter_forwards_for_key
from egov.letters.services import LetterError, letter_forward_open


class Command(BaseCommand):
    help = (
        "Penerima (mis. kecamatan): buka data surat yang diteruskan kepadanya dengan kunci "
        "privatnya; satu objek JSON per baris. / Recipient: open the letter data forwarded to "
        "its key with its private key; one JSON object per line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--key-file", required=True, help="the private key (PEM)")
        parser.add_argument("--village", help="only this village's records (ten-digit code)")
        parser.add_argument("--number", help="only the letter with this number")

    def handle(self, *args, key_file, village, number, **options):
        try:
            private_key = sealing.private_key_load(Path(key_file).read_bytes())
        except OSError as exc:
            raise CommandError(f"{key_file}: {exc.strerror}") from exc
        except sealing.SealError as exc:
            raise CommandError(f"{key_file}: {exc}") from exc
        key_id = sealing.key_id(sealing.private_key_public(private_key))
        refused = 0
        for forward in letter_forwards_for_key(key_id, village=village, number=number):
            try:
                opened = letter_forward_open(forward=forward, private_key=private_key)
            except LetterError as exc:
                refused += 1
                self.stderr.write("; ".join(exc.messages))
                continue
            self.stdout.write(json.dumps(opened, ensure_ascii=False, sort_keys=True))
        if refused:
            raise CommandError(
                f"{refused} data tidak dapat dibuka (rusak atau diubah). / {refused} record(s) "
                "could not be opened (damaged or changed)."
            )
