from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hub.certs.models import CertificateInstall
from hub.certs.services import certificate_install, certificate_request_ensure


class Command(BaseCommand):
    help = (
        "Village: install an HTTPS certificate chain (PEM, leaf first) from a file, e.g. from a "
        "USB stick; it is checked against this hub's key and name like one that came by sync."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="fullchain PEM file")

    def handle(self, *args, path: Path, **options):
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        certificate_request_ensure()
        entry = certificate_install(pem=pem, source=f"file:{path}")
        if entry is None:
            self.stdout.write("already installed")
            return
        if entry.result == CertificateInstall.RESULT_REFUSED:
            raise CommandError(f"refused: {entry.message}")
        self.stdout.write(f"installed serial {entry.serial}, valid until {entry.not_after}")
