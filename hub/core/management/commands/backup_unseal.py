"""Decrypt the sealed personal data of a backup snapshot in place, before a restore puts it
in the hub's place (hub.core.backup). balai-restore runs it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hub.core.backup import SnapshotError, snapshot_unseal
from hub.core.fieldkeys import FieldKeyError, keyring, load_keyring


class Command(BaseCommand):
    # a backup must not wait on the system checks (a low-disk warning is when it matters most)
    requires_system_checks = []
    help = (
        "Decrypt the personal columns balai-backup sealed in the snapshot database PATH, with "
        "the hub's field key file (or --field-key FILE). Refused, changing nothing, when the "
        "key the snapshot was sealed with is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--field-key", type=Path, help="a field key file to use instead")
        parser.add_argument(
            "--erase-unopenable",
            action="store_true",
            help="empty the sealed values the key cannot open (the key is lost for good)",
        )

    def handle(self, *args, path: Path, field_key: Path | None, erase_unopenable, **options):
        if not path.is_file():
            raise CommandError(f"{path} is no file")
        try:
            keys = load_keyring(field_key) if field_key else keyring()
            count = snapshot_unseal(path=path, keyring=keys, erase_unopenable=erase_unopenable)
        except (SnapshotError, FieldKeyError, OSError) as exc:
            raise CommandError(f"not unsealed, nothing changed: {exc}") from exc
        self.stdout.write(f"{count} personal values decrypted")
