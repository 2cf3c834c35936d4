"""Load the demo shop of the demo village (re-runnable: adds only what is missing)."""

from django.core.management.base import BaseCommand

from marketplace.demo import load_demo_market


class Command(BaseCommand):
    help = (
        "Load the demo BUMDes of the demo village: categories as from the province, products "
        "with photos drawn with Pillow, two orders, and a 'bumdes' staff account whose "
        "password is printed once. Run after load_demo_village."
    )

    def handle(self, *args, **options):
        result = load_demo_market()
        self.stdout.write(
            self.style.SUCCESS(
                f"Toko demo siap / demo shop ready: {result['bumdes']} "
                f"({result['products']} produk / products)."
            )
        )
        if result["staff_password"]:
            self.stdout.write(
                f"Akun BUMDes / BUMDes staff login: {result['staff_username']}  "
                f"sandi / password: {result['staff_password']}\n"
                "(ditampilkan sekali saja / shown only this once)"
            )
