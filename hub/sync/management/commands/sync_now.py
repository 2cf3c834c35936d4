from django.core.management.base import BaseCommand, CommandError

from hub.sync.core.identity import NodeNotConfigured
from hub.sync.village.run import SyncError, sync_run


class Command(BaseCommand):
    help = "Village: sync with the upstream now (ignores backoff; waits for nothing)."

    def handle(self, *args, **options):
        try:
            run = sync_run(trigger="manual", force=True)
        except (SyncError, NodeNotConfigured) as exc:
            raise CommandError(str(exc)) from exc
        if run is None:
            raise CommandError("another sync is running on this hub; try again shortly")
        self.stdout.write(
            f"{run.outcome}: ↑ {run.records_up} records {run.blobs_up} blobs {run.bytes_up} B, "
            f"↓ {run.records_down} records {run.blobs_down} blobs {run.bytes_down} B"
            + (f", {run.refused} refused" if run.refused else "")
        )
        if run.error:
            self.stderr.write(run.error)
        if run.outcome == "failed":
            raise CommandError("sync failed")
