import json
import os

from django.core.management.base import BaseCommand, CommandError

from hub.sync.bundles.errors import BundleWriteError
from hub.sync.bundles.exchange import DOWN, BundleExportError, bundle_export
from hub.sync.core.identity import NodeNotConfigured
from hub.sync.management.progress import ProgressLine
from hub.sync.wire import keys

LABELS = {
    "changes": "perubahan / changes",
    "blobs": "menulis berkas / writing files",
}


class Command(BaseCommand):
    help = (
        "Write a signed bundle of changes and files to PATH, for a USB stick or an Ansible push. "
        "Upstream: content going down to villages, for a region (--scope, default all) or one "
        "village (--for). Village: its changes the upstream has not acknowledged yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the bundle file to write, e.g. /media/usb/balai.bundle")
        target = parser.add_mutually_exclusive_group()
        target.add_argument(
            "--scope",
            metavar="PREFIX",
            help="upstream: every change for this region code prefix (63, 6301); default: all",
        )
        target.add_argument(
            "--for",
            dest="for_node",
            metavar="VILLAGECODE",
            help="upstream: exactly that village's feed; importing it moves the village's cursor",
        )
        parser.add_argument(
            "--after",
            type=int,
            metavar="N",
            help="start after this journal position (upstream default 0; village default: what "
            "the upstream has acknowledged, 0 re-sends everything)",
        )
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, path, scope, for_node, after, **options):
        progress = ProgressLine(self.stderr, LABELS)
        try:
            summary = bundle_export(
                path=path, scope=scope, for_node=for_node, after=after, progress=progress
            )
        except (BundleExportError, BundleWriteError, NodeNotConfigured, keys.KeyError_) as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        finally:
            progress.end()
        summary["bytes"] = os.path.getsize(path)
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(f"Bundel ditulis / bundle written: {path} ({summary['bytes']} B)")
        if summary["direction"] == DOWN:
            if summary["for_node"]:
                target = f"untuk desa / for village {summary['for_node']}"
            else:
                target = f"cakupan / scope: {summary['scope'] or 'semua / all'}"
            self.stdout.write(f"  arah / direction: turun / down, {target}")
        else:
            self.stdout.write(f"  arah / direction: naik / up, dari desa / from village "
                              f"{summary['signer']}")  # fmt: skip
        self.stdout.write(
            f"  perubahan / changes: {summary['records']} (seq {summary['after']} → "
            f"{summary['to']}), halaman / pages: {summary['pages']}"
        )
        self.stdout.write(
            f"  berkas / files: {summary['blobs']} ({summary['blob_bytes']} B)"
            + (
                f"; tidak ada di hub ini, dikirim lewat jaringan nanti / not on this hub, "
                f"sent over the link later: {summary['blobs_missing']}"
                if summary["blobs_missing"]
                else ""
            )
        )
