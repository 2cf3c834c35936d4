"""Make a recipient's (a kecamatan office's) key pair, on the office's own computer."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from egov.letters import sealing


class Command(BaseCommand):
    help = (
        "Buat pasangan kunci X25519 penerima data surat (mis. kantor kecamatan): kunci privat "
        "ke berkas (0600), kunci publik ke layar untuk didaftarkan di server induk. / Make a "
        "recipient's X25519 key pair: the private key to a file, the public key printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("key_file", help="where to write the private key (PEM); must not exist")

    def handle(self, *args, key_file, **options):
        path = Path(key_file)
        pem, public = sealing.private_key_new()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise CommandError(
                f"{path} sudah ada; kunci lama tidak ditimpa. / {path} exists; not overwritten."
            ) from exc
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        self.stdout.write(public)
