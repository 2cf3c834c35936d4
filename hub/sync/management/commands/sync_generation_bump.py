from django.core.management.base import BaseCommand

from hub.sync.core.generation import generation_bump


class Command(BaseCommand):
    help = (
        "After restoring this hub's database from a backup: give the node a new generation, so "
        "the other side of the sync re-seeds and nothing written after the backup is skipped "
        "(balai-restore runs it; docs/sync-protocol.md, 'Generations')."
    )

    def handle(self, *args, **options):
        old, new = generation_bump()
        self.stdout.write(f"generation {old or '—'} -> {new}")
