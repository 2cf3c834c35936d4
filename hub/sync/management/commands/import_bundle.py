import json

from django.core.management.base import BaseCommand, CommandError

from hub.sync.bundles.exchange import bundle_import
from hub.sync.core.errors import Refused
from hub.sync.core.identity import NodeNotConfigured
from hub.sync.management.progress import ProgressLine

LABELS = {
    "verify": "memeriksa / verifying",
    "blobs": "menyimpan berkas / storing files",
    "apply": "menerapkan / applying",
}


class Command(BaseCommand):
    help = (
        "Verify a signed bundle (all of it, before anything is used), then store its files and "
        "apply its changes. A village takes bundles from its pinned upstream; the upstream "
        "takes bundles from its enrolled villages. Importing a bundle twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the bundle file, e.g. /media/usb/balai.bundle")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, path, **options):
        progress = ProgressLine(self.stderr, LABELS)
        try:
            summary = bundle_import(path=path, progress=progress)
        except Refused as exc:
            raise CommandError(
                f"Bundel ditolak / bundle refused ({exc.code}): {exc.reason}"
            ) from exc
        except NodeNotConfigured as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        finally:
            progress.end()
        for refusal in summary["refusals"]:
            self.stderr.write(f"ditolak / refused: {refusal['id']}: {refusal['reason']}")
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        if summary["direction"] == "up":
            direction = "naik / up"
        elif summary["for_node"]:
            direction = f"turun / down, untuk desa / for village {summary['for_node']}"
        else:
            direction = f"turun / down, cakupan / scope: {summary['scope'] or 'semua / all'}"
        self.stdout.write(
            f"Bundel diimpor / bundle imported: dari / from {summary['signer']}, {direction}, "
            f"dibuat / made {summary['created_at']}"
        )
        self.stdout.write(
            f"  diterapkan / applied: {summary['applied']}, dilewati / skipped: "
            f"{summary['skipped']}, ditolak / refused: {summary['refused']}"
            + (
                f", dibuang, bukan untuk desa ini / dropped, not for this village: "
                f"{summary['dropped']}"
                if summary.get("dropped")
                else ""
            )
        )
        self.stdout.write(
            f"  berkas baru / new files: {summary['blobs_new']}, sudah ada / already here: "
            f"{summary['blobs_present']}"
            + (
                f"; dipasang ke catatan yang menunggu / attached to waiting records: "
                f"{summary['attached']}"
                if summary["attached"]
                else ""
            )
            + (
                f"; menunggu berkas lewat jaringan / waiting for files over the link: "
                f"{summary['files_waiting']}"
                if summary["files_waiting"]
                else ""
            )
        )
        checkpoint = summary["checkpoint"]
        if checkpoint["after"] != checkpoint["before"]:
            moved = f"{checkpoint['before']} → {checkpoint['after']}"
        else:
            moved = f"tidak berubah / unchanged ({checkpoint['before']})"
        self.stdout.write(f"  {checkpoint['name']}: {moved}")
