"""Erase a buyer's data at their request (UU 27/2022): the same service as the admin's "Data
pembeli" page, for an operator at a terminal."""

from django.core.management.base import BaseCommand, CommandError

from marketplace.services import OrderError, buyer_data_erase


class Command(BaseCommand):
    help = (
        "Erase the buyer's name, phone, address and note from every closed order (and, on the "
        "upstream, outside request) placed with a phone number or having a code. Logged; "
        "refused with nothing changed while a match is still open."
    )

    def add_arguments(self, parser):
        parser.add_argument("--phone", default="", help="the buyer's phone number (08…/+628…)")
        parser.add_argument("--code", default="", help="an order or request code")
        parser.add_argument("--reason", default="", help="the request's reference, for the log")

    def handle(self, *args, phone, code, reason, **options):
        try:
            done = buyer_data_erase(phone=phone, code=code, reason=reason)
        except OrderError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for code_ in done.orders + done.requests:
            self.stdout.write(f"erased: {code_}")
        for code_, origin in sorted(done.elsewhere.items()):
            self.stdout.write(f"not here: {code_} belongs to {origin}; erase it there")
        if not done.orders and not done.requests:
            raise CommandError("nothing erased here: every match belongs to another hub")
