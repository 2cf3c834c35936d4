"""Load the demo village (re-runnable: updates instead of duplicating)."""

from django.core.management.base import BaseCommand

from hub.site.demo import load_demo_village


class Command(BaseCommand):
    help = (
        "Load the demo village Bukit Berantai (15.03.01.2021): page tree, announcements, agenda, "
        "profile, images made with Pillow, and an 'admin' account whose password is printed once."
    )

    def handle(self, *args, **options):
        result = load_demo_village()
        self.stdout.write(self.style.SUCCESS("Desa demo siap / demo village ready."))
        if result["admin_password"]:
            self.stdout.write(
                "Akun admin / admin login: admin  kata sandi / password: "
                f"{result['admin_password']}\n"
                "(ditampilkan sekali saja / shown only this once)"
            )
