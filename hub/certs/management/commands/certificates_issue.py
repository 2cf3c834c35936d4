from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hub.certs.issuing import certificates_issue_due
from hub.core.roles import is_upstream


class Command(BaseCommand):
    help = (
        "Upstream: order certificates for villages' new requests and renew those due now "
        "(the hourly task does the same)."
    )

    def handle(self, *args, **options):
        if not is_upstream() or not settings.HUB_ACME_DNS_ZONE:
            raise CommandError("only on the upstream with HUB_ACME_DNS_ZONE set (docs/https.md)")
        report = certificates_issue_due()
        for code in report["issued"]:
            self.stdout.write(f"issued {code}")
        for code in report["waiting"]:
            self.stdout.write(f"waiting {code} (orders this week at the limit)")
        for code, error in report["failed"].items():
            self.stderr.write(f"failed {code}: {error}")
        if report["failed"]:
            raise CommandError(f"{len(report['failed'])} failed")
