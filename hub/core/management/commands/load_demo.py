"""Load the demo data of every app (re-runnable: adds only what is missing)."""

from django.core.management.base import BaseCommand, CommandError

from hub.core.demo import demo_load, demos


class Command(BaseCommand):
    help = (
        "Load the demo village and the demo data of every app that registers one (the village "
        "site first, then the marketplace, …). Passwords of accounts it makes are printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", action="append", metavar="KEY", help="load only this demo (repeatable)"
        )

    def handle(self, *args, only=None, **options):
        keys = only or [demo.key for demo in demos()]
        for key in keys:
            try:
                lines = demo_load(key)
            except LookupError as exc:
                raise CommandError(str(exc)) from exc
            for line in lines:
                self.stdout.write(line)
