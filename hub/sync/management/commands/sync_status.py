import json

from django.core.management.base import BaseCommand

from hub.sync.admin.selectors import sync_overview


class Command(BaseCommand):
    help = (
        "Sync state: upstream, last good sync, backlog, recent runs, data used this month, "
        "sizes of the journal, tombstones, held changes, runs, nonces, blobs and database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        overview = sync_overview()
        if options["json"]:
            self.stdout.write(json.dumps(overview, default=str, indent=2))
            return
        for key, value in overview.items():
            if key == "runs":
                self.stdout.write("runs:")
                for run in value:
                    self.stdout.write(
                        f"  {run['started_at']:%Y-%m-%d %H:%M:%S} {run['outcome']:8} "
                        f"↑{run['bytes_up']} B ↓{run['bytes_down']} B {run['error'][:80]}"
                    )
            elif key == "sizes":
                self.stdout.write("sizes:")
                for name, size in value.items():
                    self.stdout.write(f"  {name}: {'—' if size is None else size}")
            elif key == "held_by_sender":
                for row in value:
                    self.stdout.write(
                        f"  held from {row['sender']}: {row['held']} of {overview['held_cap']}"
                    )
            else:
                self.stdout.write(f"{key}: {value}")
