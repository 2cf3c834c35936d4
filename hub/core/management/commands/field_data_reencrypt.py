"""Rewrite encrypted values with the newest field key (after field_keys_rotate)."""

from django.core.management.base import BaseCommand, CommandError

from hub.core.fieldkeys import FieldDecryptionError, FieldKeyError
from hub.core.fields import encrypted_rows_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field value not written with the newest key of "
        "HUB_FIELD_KEY_FILE, and its blind index. Running it twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count the rows, change nothing")

    def handle(self, *args, **options):
        try:
            count = encrypted_rows_reencrypt(dry_run=options["dry_run"])
        except (FieldKeyError, FieldDecryptionError) as exc:
            raise CommandError(str(exc)) from exc
        verb = "would be re-encrypted" if options["dry_run"] else "re-encrypted"
        self.stdout.write(f"{count} rows {verb}.")
