from django.core.management.base import BaseCommand, CommandError

from hub.sync.upstream.enrollment import EnrollmentError, village_revoke


class Command(BaseCommand):
    help = "Upstream: revoke a village's key; its requests are refused from now on."

    def add_arguments(self, parser):
        parser.add_argument("code")

    def handle(self, *args, code, **options):
        try:
            node = village_revoke(code=code)
        except EnrollmentError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{node.code}: dicabut / revoked at {node.revoked_at:%Y-%m-%d %H:%M}")
