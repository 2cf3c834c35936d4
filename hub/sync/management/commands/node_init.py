from django.core.management.base import BaseCommand, CommandError

from hub.sync.wire import keys


class Command(BaseCommand):
    help = (
        "Make this node's Ed25519 key in the data directory (mode 0600) once, and print its "
        "public key. Running it again prints the same key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--public-key-file",
            help="also write the public key to this file (for provisioning to fetch)",
        )

    def handle(self, *args, **options):
        try:
            key, created = keys.node_key_create()
        except (OSError, keys.KeyError_) as exc:
            raise CommandError(f"cannot make or read the node key: {exc}") from exc
        public = keys.public_key_text(key.public_key())
        if options["public_key_file"]:
            with open(options["public_key_file"], "w", encoding="utf-8") as handle:
                handle.write(public + "\n")
        if created:
            self.stderr.write(f"Kunci simpul baru dibuat / new node key made: {keys.key_path()}")
        self.stdout.write(public)
