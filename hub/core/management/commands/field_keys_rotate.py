"""Add a new field-encryption key: new writes use it, old values stay readable."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hub.core.fieldkeys import FieldKeyError, key_file_add_key, new_key_line


class Command(BaseCommand):
    help = (
        "Append a new key to HUB_FIELD_KEY_FILE (the newest key encrypts, every key decrypts). "
        "Then run field_data_reencrypt to rewrite old values with it. See docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--print",
            action="store_true",
            help="print a new key line instead of writing the file (for a key file only root "
            "may write: sudo sh -c 'balai-manage field_keys_rotate --print >> FILE')",
        )

    def handle(self, *args, **options):
        if options["print"]:
            self.stdout.write(new_key_line())
            return
        path = settings.HUB_FIELD_KEY_FILE
        try:
            kid = key_file_add_key(path)
        except FieldKeyError as exc:
            raise CommandError(str(exc)) from exc
        except FileNotFoundError as exc:
            raise CommandError(
                f"{path} does not exist. A new key file would not read the data written with "
                "the old one: restore the key file first (docs/operations.md)."
            ) from exc
        except PermissionError as exc:
            raise CommandError(
                f"{path} cannot be replaced by this user ({exc.strerror}). On a provisioned hub "
                f"run: sudo sh -c 'balai-manage field_keys_rotate --print >> {path}'"
            ) from exc
        self.stdout.write(f"Added key {kid} to {path}; new values are encrypted with it.")
