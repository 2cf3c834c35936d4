"""Unlock admin logins locked by too many wrong passwords (django-axes, hub/core/logins.py)."""

from axes.models import AccessAttempt
from django.core.management.base import BaseCommand, CommandError

from hub.core.logins import login_lockout_clear


class Command(BaseCommand):
    help = (
        "Forget the failed logins of a user name (from every address), of one address "
        "(--address), of the pair, or every lockout (--all). --list shows what is counted. "
        "See docs/https-deploy.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="the user name that was locked out")
        parser.add_argument("--address", help="only the failures from this client address")
        parser.add_argument("--all", action="store_true", help="every lockout on this hub")
        parser.add_argument("--list", action="store_true", help="list the counted failures")

    def handle(self, *args, **options):
        username, address = options["username"], options["address"]
        if options["list"]:
            for attempt in AccessAttempt.objects.order_by("-attempt_time"):
                last = f"{attempt.attempt_time:%Y-%m-%d %H:%M}"
                self.stdout.write(
                    f"{attempt.username}\t{attempt.ip_address}\t"
                    f"{attempt.failures_since_start} failures\tlast {last}"
                )
            return
        if options["all"] and (username or address):
            raise CommandError("--all unlocks everything: give no user name nor --address.")
        if not options["all"] and not username and not address:
            raise CommandError(
                "Name what to unlock: a user name, --address ADDRESS, both, or --all."
            )
        removed = login_lockout_clear(username=username, address=address)
        self.stdout.write(f"Removed {removed} record(s) of failed logins; the login is open again.")
