from django.core.management.base import BaseCommand, CommandError

from hub.sync.upstream.enrollment import EnrollmentError, village_enroll
from hub.sync.wire import keys


class Command(BaseCommand):
    help = "Upstream: enroll a village hub by its code and public key (or re-key it)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the village's ten-digit Kemendagri code")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--public-key", help="ed25519:… as printed by node_init")
        group.add_argument("--public-key-file", help="a file holding that key")

    def handle(self, *args, code, public_key, public_key_file, **options):
        try:
            public_key = keys.public_key_argument(public_key, public_key_file)
            node, created = village_enroll(code=code, public_key=public_key)
        except (EnrollmentError, keys.KeyError_) as exc:
            raise CommandError(str(exc)) from exc
        verb = "didaftarkan / enrolled" if created else "diperbarui / updated"
        self.stdout.write(f"{node.code}: {verb}")
