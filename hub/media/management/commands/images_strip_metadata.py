"""Strip GPS, camera and other metadata from images stored before uploads were stripped
(hub.media.services.images_metadata_strip). Run once after upgrading; a second run changes
nothing."""

from django.core.management.base import BaseCommand

from hub.media.services import images_metadata_strip


class Command(BaseCommand):
    help = (
        "Rewrite the originals this hub owns without their metadata (orientation applied), "
        "drop their renditions (made again in the background) and save the records showing "
        "them so the clean files sync. --dry-run only counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run, **options):
        done = images_metadata_strip(dry_run=dry_run)
        self.stdout.write(
            "{stripped} images stripped, {records_resent} records to sync again, "
            "{left_to_owner} left to the hub that owns them".format(**done)
            + (" (dry run: nothing changed)" if dry_run else "")
        )
