"""Write this hub's database as a backup snapshot: one consistent copy, sessions left out,
personal data sealed with the field key (hub.core.backup). balai-backup runs it."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hub.core.backup import SnapshotError, snapshot_write
from hub.core.fieldkeys import FieldKeyError, keyring


class Command(BaseCommand):
    # a backup must not wait on the system checks (a low-disk warning is when it matters most)
    requires_system_checks = []
    help = (
        "Write the SQLite database to TARGET as a backup snapshot (VACUUM INTO: one consistent "
        "copy), without sessions, personal columns sealed with the field key; prints JSON for "
        "the backup's manifest (sealed columns, key id, the media files it refers to)."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", type=Path)

    def handle(self, *args, target: Path, **options):
        database = settings.DATABASES["default"]
        if database["ENGINE"] != "django.db.backends.sqlite3":
            raise CommandError("backup_snapshot is for a village hub's SQLite database")
        try:
            done = snapshot_write(
                source=Path(database["NAME"]), target=target.resolve(), keyring=keyring()
            )
        except (SnapshotError, FieldKeyError, OSError) as exc:
            raise CommandError(f"no snapshot written: {exc}") from exc
        self.stdout.write(json.dumps(done))
