from django.core.management.base import BaseCommand, CommandError

from hub.sync.village.pinning import EnrollmentError, upstream_set
from hub.sync.wire import keys


class Command(BaseCommand):
    help = "Village: pin the upstream this hub syncs with (URL, region code, public key)."

    def add_arguments(self, parser):
        parser.add_argument("url", help="e.g. https://balai.kalselprov.go.id")
        parser.add_argument("--code", required=True, help="the upstream's region code: 63, 6301")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--public-key", help="ed25519:… as printed by node_init upstream")
        group.add_argument("--public-key-file")

    def handle(self, *args, url, code, public_key, public_key_file, **options):
        try:
            public_key = keys.public_key_argument(public_key, public_key_file)
            state = upstream_set(url=url, public_key=public_key, code=code)
        except (EnrollmentError, keys.KeyError_) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"upstream: {state.upstream_url} ({state.upstream_code})")
