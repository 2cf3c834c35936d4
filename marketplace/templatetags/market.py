"""Template tags of the villager's shop: rupiah, quantities, stock status, WhatsApp links."""

from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from django import template
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

# "stok tinggal sedikit" once what is left is at most this many minimum orders
LOW_STOCK_ORDERS = 5


@register.filter
def rupiah(value) -> str:
    """``15000`` as ``Rp 15.000``: whole rupiah, dots between thousands, in every language
    (an English reader in Indonesia reads prices the Indonesian way)."""
    try:
        amount = int(Decimal(str(value)).to_integral_value(rounding="ROUND_HALF_UP"))
    except (InvalidOperation, ValueError, TypeError):
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(amount):,}".replace(",", ".")


@register.filter
def qty(value) -> str:
    """A quantity without trailing zeros: ``1,5`` in Indonesian, ``1.5`` in English."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return ""
    if not number.is_finite():
        return ""
    text = format(number.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", "," if get_language() != "en" else ".")


@register.filter
def category_name(category) -> str:
    return category.display_name(get_language() or "id") if category else ""


def stock_state(product) -> tuple[str, str]:
    """(css modifier, label) of a product's availability."""
    if product.stock < product.min_order:
        return "out", _("Habis")
    if product.preorder:
        if product.harvest_date:
            return "pre", _("Pra-pesan · panen sekitar %(date)s") % {
                "date": formats.date_format(product.harvest_date, "j F Y")
            }
        return "pre", _("Pra-pesan")
    if product.stock <= product.min_order * LOW_STOCK_ORDERS:
        return "low", _("Stok tinggal sedikit")
    return "ok", _("Tersedia")


@register.simple_tag
def stock_status(product):
    modifier, label = stock_state(product)
    return format_html('<span class="st st-{}">{}</span>', modifier, label)


def whatsapp_url(number: str, message: str) -> str:
    """``https://wa.me/628…?text=…`` for a number stored as ``+628…``."""
    digits = "".join(c for c in number or "" if c.isdigit())
    if not digits:
        return ""
    return f"https://wa.me/{digits}?text={quote(message, safe='')}"


@register.simple_tag
def whatsapp_product(product, village_name: str = "") -> str:
    message = _("Halo %(bumdes)s, saya mau tanya tentang %(product)s (%(price)s/%(unit)s)") % {
        "bumdes": product.bumdes.name,
        "product": product.name,
        "price": rupiah(product.price),
        "unit": product.unit,
    }
    if village_name:
        message += " " + _("di pasar %(village)s.") % {"village": village_name}
    return whatsapp_url(product.bumdes.whatsapp, message)


@register.simple_tag
def whatsapp_bumdes(bumdes, village_name: str = "") -> str:
    message = _("Halo %(bumdes)s, saya mau tanya tentang produk Anda") % {"bumdes": bumdes.name}
    if village_name:
        message += " " + _("di pasar %(village)s.") % {"village": village_name}
    return whatsapp_url(bumdes.whatsapp, message)


@register.simple_tag
def whatsapp_order(order, village_name: str = "") -> str:
    message = _("Halo %(bumdes)s, saya menanyakan pesanan %(code)s") % {
        "bumdes": order.bumdes.name,
        "code": order.code,
    }
    if village_name:
        message += " " + _("di pasar %(village)s.") % {"village": village_name}
    return whatsapp_url(order.bumdes.whatsapp, message)
