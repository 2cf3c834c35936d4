"""``manage.py library_add PATH [--replace]``: check a ZIM archive and add it to the library."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ... import kiwix
from ...services import archive_add


class Command(BaseCommand):
    help = (
        "Periksa arsip ZIM lalu tambahkan ke perpustakaan (disalin ke folder perpustakaan). / "
        "Check a ZIM archive and add it to the library (copied into the library folder)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--replace", action="store_true", help="replace an archive of the same name"
        )

    def handle(self, *args, path: Path, replace: bool, **options):
        try:
            result = archive_add(source=path, replace=replace)
        except (ValueError, kiwix.KiwixToolMissing) as exc:
            raise CommandError(str(exc)) from exc
        count = len(result.served)
        self.stdout.write(f"{path.name}: OK. {count} arsip di perpustakaan / in the library.")
