from django.core.management.base import BaseCommand, CommandError

from hub.certs.services import certificate_request_ensure


class Command(BaseCommand):
    help = (
        "Village: make the hub's key and certificate request now (when missing, or when the "
        "name or key changed); it goes up with the next sync. Prints the name and CSR."
    )

    def handle(self, *args, **options):
        request = certificate_request_ensure()
        if request is None:
            raise CommandError(
                "no HTTPS name yet: set the village code and HUB_VILLAGE_DOMAIN or "
                "HUB_TLS_PROVINCE_DOMAIN (or HUB_TLS_NAME); not on the upstream"
            )
        self.stdout.write(f"{request.name} key {request.key_sha256}\n{request.csr_pem}")
