"""Upstream: write the records forwarded to one recipient to a file (ciphertext and the
letters' facts only), so the recipient opens them on its own machine and its private key
never comes to the upstream."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from egov.letters.selectors import letter_forwards_export


class Command(BaseCommand):
    help = (
        "Server induk: tulis data yang diteruskan ke satu penerima ke berkas (masih terenkripsi) "
        "untuk dibuka di komputer penerima. / Upstream: write the records forwarded to one "
        "recipient to a file (still sealed) to open on the recipient's own machine."
    )

    def add_arguments(self, parser):
        parser.add_argument("recipient", help="kode penerima, mis. kecamatan-150301")
        parser.add_argument("output", help="the file to write (JSON lines); must not exist")

    def handle(self, *args, recipient, output, **options):
        rows = letter_forwards_export(recipient=recipient)
        try:
            with Path(output).open("x", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(json.dumps(row, sort_keys=True) + "\n")
        except FileExistsError as exc:
            raise CommandError(
                f"{output} sudah ada; tidak ditimpa. / exists; not overwritten."
            ) from exc
        except OSError as exc:
            raise CommandError(f"{output}: {exc.strerror}") from exc
        self.stdout.write(f"{len(rows)} → {output}")
