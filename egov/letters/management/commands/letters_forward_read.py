"""The recipient reads what villages forwarded to its key, one JSON object per line: from a file
``letters_forward_export`` wrote on the upstream (``--input``: no database needed, the private
key stays on the recipient's machine), or from the database of the node it runs on. A record
that fails to open is reported on stderr and makes the command exit with an error after the
others are printed."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from egov.letters import sealing
from egov.letters.selectors import letter_forward_from_export, letter_forwards_for_key
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
        parser.add_argument(
            "--input",
            dest="input_file",
            help="a file from letters_forward_export instead of this node's database",
        )

    def handle(self, *args, key_file, village, number, input_file, **options):
        try:
            private_key = sealing.private_key_load(Path(key_file).read_bytes())
        except OSError as exc:
            raise CommandError(f"{key_file}: {exc.strerror}") from exc
        except sealing.SealError as exc:
            raise CommandError(f"{key_file}: {exc}") from exc
        key_id = sealing.key_id(sealing.private_key_public(private_key))
        if input_file:
            forwards = [
                forward
                for forward in self._from_file(input_file)
                if forward.key_id == key_id
                and (not village or forward.village_code == village)
                and (not number or forward.number == number)
            ]
        else:
            forwards = letter_forwards_for_key(key_id, village=village, number=number)
        refused = 0
        for forward in forwards:
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

    def _from_file(self, path):
        forwards = []
        try:
            with Path(path).open(encoding="utf-8") as handle:
                for line_number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        forwards.append(letter_forward_from_export(json.loads(line)))
                    except ValueError as exc:
                        raise CommandError(
                            f"{path}:{line_number}: bukan data ekspor letters_forward_export. / "
                            "not a line of letters_forward_export."
                        ) from exc
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        return forwards
