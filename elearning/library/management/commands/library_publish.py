"""``manage.py library_publish PATH --title … --licence … --source … [--region CODE]``: publish a
ZIM archive from the upstream to the villages (over the link in the bulk window, or in a bundle)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ...services import archive_publish


class Command(BaseCommand):
    help = (
        "Terbitkan arsip ZIM dari upstream untuk desa-desa suatu wilayah. / "
        "Publish a ZIM archive from the upstream to the villages of a region."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--title", required=True)
        parser.add_argument("--licence", required=True, help="e.g. CC BY-SA 4.0")
        parser.add_argument("--source", required=True, help="who made it, e.g. Wikipedia")
        parser.add_argument("--description", default="")
        parser.add_argument(
            "--region", default="", help="Kemendagri code prefix (default: the whole region)"
        )

    def handle(self, *args, path: Path, **options):
        try:
            archive = archive_publish(
                path=path,
                title=options["title"],
                licence=options["licence"],
                source=options["source"],
                description=options["description"],
                region=options["region"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{archive.name}: {archive.size:,} B, sha256 {archive.sha256[:16]}…, "
            f"rev {archive.rev} — dikirim ke desa / on its way to the villages."
        )
