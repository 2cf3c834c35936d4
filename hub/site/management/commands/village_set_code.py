"""Set the hub's Kemendagri village code (once, at provisioning)."""

from django.core.management.base import BaseCommand, CommandError

from hub.core.regions import VillageCodeError
from hub.site.services import UnlistedNames, village_identity_set


class Command(BaseCommand):
    help = (
        "Set this hub's 10-digit Kemendagri village code (PP.KK.CC.DDDD) and its official "
        "names from the region list. Running it again with the same code changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="village code, e.g. 15.03.01.2021 or 1503012021")
        parser.add_argument(
            "--accept-unlisted",
            action="store_true",
            help="accept a well-formed code missing from the shipped list (a newer code); "
            "needs --name, --kecamatan, --kabupaten and --province",
        )
        parser.add_argument("--name", default="", help="village name (with --accept-unlisted)")
        parser.add_argument("--kecamatan", default="")
        parser.add_argument("--kabupaten", default="")
        parser.add_argument("--province", default="")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a code already set (only when the old one was wrong)",
        )

    def handle(self, *args, **options):
        names = UnlistedNames(
            village=options["name"],
            kecamatan=options["kecamatan"],
            kabupaten=options["kabupaten"],
            province=options["province"],
        )
        try:
            village = village_identity_set(
                code=options["code"],
                accept_unlisted=options["accept_unlisted"],
                names=names,
                force=options["force"],
            )
        except VillageCodeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{village.village_code_display} {village.display_name}, "
            f"Kec. {village.kecamatan_name}, {village.kabupaten_name}, {village.province_name}"
            + ("" if village.code_from_list else " (di luar daftar resmi / not in the list)")
        )
