"""``manage.py library_scan``: serve the archives of the library folder (what the django-q2
schedule does every minute), and say which files were refused and why."""

from django.core.management.base import BaseCommand, CommandError

from ... import kiwix
from ...services import library_prepare, library_scan


class Command(BaseCommand):
    help = (
        "Periksa folder perpustakaan dan sajikan arsip ZIM yang sah. / "
        "Check the library folder and serve the valid ZIM archives."
    )

    def handle(self, *args, **options):
        library_prepare()
        try:
            result = library_scan()
        except kiwix.KiwixToolMissing as exc:
            raise CommandError(str(exc)) from exc
        for name in result.served:
            self.stdout.write(f"OK    {name}")
        for name, reason in sorted(result.refused.items()):
            self.stdout.write(f"TOLAK {name}: {reason}")
