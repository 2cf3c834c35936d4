"""Admin forms of the marketplace: a product's BUMDes fixed for staff, the unit with
suggestions, a slug made from the name when left empty."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from ..models import UNIT_SUGGESTIONS, Bumdes
from ..selectors import staff_bumdes

UNIT_LIST_ID = "market-unit-suggestions"


class UnitInput(forms.TextInput):
    """Free text up to 20 characters, with the usual units offered by the browser (a
    ``<datalist>``: no JavaScript, and any other unit can still be typed)."""

    def __init__(self, attrs=None):
        super().__init__(
            {"list": UNIT_LIST_ID, "maxlength": 20, "autocomplete": "off", **(attrs or {})}
        )

    def render(self, name, value, attrs=None, renderer=None):
        options = format_html_join(
            "", '<option value="{}"></option>', ((u,) for u in UNIT_SUGGESTIONS)
        )
        return super().render(name, value, attrs, renderer) + format_html(
            '<datalist id="{}">{}</datalist>', UNIT_LIST_ID, options
        )


RUPIAH_RE = re.compile(r"^(\d+|\d{1,3}(\.\d{3})+)$")


class RupiahField(forms.IntegerField):
    """Whole rupiah as people write them: ``15000``, ``15.000`` or ``Rp 15.000``.

    Django's own integer field drops a trailing ``.000`` as decimals, so ``15.000`` became
    Rp 15; and ``15000,5`` or ``1.5`` are not a price in whole rupiah.
    """

    default_error_messages = {
        "invalid": _("Tulis harga dalam rupiah, angka saja (mis. 15000 atau 15.000)."),
    }

    def to_python(self, value):
        text = re.sub(r"\s", "", str(value or ""))
        if text[:2].lower() == "rp":
            text = text[2:]
        if not text:
            return None
        if not RUPIAH_RE.match(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text.replace(".", ""))


class BumdesFixedForStaffForm(WagtailAdminModelForm):
    """A form with a ``bumdes`` field that a BUMDes's staff cannot change: it shows their own
    BUMDes, disabled, so a forged POST value is ignored (Django uses the initial value of a
    disabled field)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("bumdes")
        bumdes = staff_bumdes(self.for_user) if self.for_user is not None else None
        if field is not None and bumdes is not None:
            field.queryset = Bumdes.objects.filter(pk=bumdes.pk)
            field.initial = bumdes.pk
            field.disabled = True
            field.help_text = _("Produk BUMDes Anda.")


class ProductForm(BumdesFixedForStaffForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "price" in self.fields:
            model_field = self.fields["price"]
            self.fields["price"] = RupiahField(
                label=model_field.label,
                help_text=model_field.help_text,
                min_value=1,
                widget=forms.TextInput(attrs={"inputmode": "numeric"}),
            )
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _(
                "Bagian alamat halaman produk. Kosongkan: dibuat dari nama."
            )

    def clean(self):
        cleaned = super().clean()
        if "slug" in self.fields and not cleaned.get("slug") and cleaned.get("name"):
            cleaned["slug"] = slugify(cleaned["name"])[:80] or "produk"
        return cleaned
