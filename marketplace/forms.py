"""Forms of the villager's shop. They check shape and size only; every rule about products,
stock, prices and phones is the service's (``services.order_place``), so the admin, the sync
path and these pages refuse the same things."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hub.core.personal import phone_normalize

from .models import Fulfilment
from .services import OrderError, quantity_parse


def _text(label, max_length, *, required=True, widget=None, **attrs):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=widget or forms.TextInput(attrs=attrs),
        error_messages={
            "required": _("Wajib diisi."),
            "max_length": _("Terlalu panjang (paling banyak %(limit_value)d huruf)."),
        },
    )


class OrderForm(forms.Form):
    """Name, phone, quantity, pick-up or delivery, note. No price and no total: those come from
    the database, so a forged field in the POST has nothing to land in."""

    buyer_name = _text(_("Nama"), 120, autocomplete="name")
    buyer_phone = _text(
        _("Nomor HP"), 20, autocomplete="tel", inputmode="tel", placeholder="08…", type="tel"
    )
    quantity = _text(_("Jumlah"), 12, inputmode="decimal")
    fulfilment = forms.ChoiceField(
        label=_("Pengambilan"),
        choices=Fulfilment.choices,
        initial=Fulfilment.PICKUP,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Pilih diambil sendiri atau diantar."),
            "invalid_choice": _("Pilih diambil sendiri atau diantar."),
        },
    )
    delivery_address = _text(
        _("Alamat antar (jika diantar)"),
        300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = _text(
        _("Catatan untuk BUMDes"), 500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, product, **kwargs):
        self.product = product
        super().__init__(*args, **kwargs)
        field = self.fields["quantity"]
        field.widget.attrs["inputmode"] = "decimal" if product.fractional else "numeric"
        if not kwargs.get("initial") and not self.is_bound:
            field.initial = _quantity_text(product.min_order)

    def clean_buyer_phone(self):
        try:
            return phone_normalize(self.cleaned_data["buyer_phone"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean_quantity(self):
        # checked here too, so a wrong phone and a wrong quantity are both shown at once;
        # the service checks again, against the stock as it is inside its transaction
        try:
            quantity_parse(self.cleaned_data["quantity"], self.product)
        except OrderError as exc:
            raise ValidationError(exc.messages) from None
        return self.cleaned_data["quantity"]

    def clean(self):
        data = super().clean()
        if (
            data.get("fulfilment") == Fulfilment.DELIVERY
            and not (data.get("delivery_address") or "").strip()
        ):
            self.add_error("delivery_address", _("Tulis alamat antar di dalam desa."))
        return data

    def add_service_error(self, error: OrderError) -> None:
        """Show what the service refused on the field it concerns."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
            return
        field = (
            "quantity"
            if error.code in {"quantity", "fraction", "minimum", "stock", "cap_order", "cap_phone"}
            else None
        )
        self.add_error(field, error.messages)


def _quantity_text(value) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


class OrderLookupForm(forms.Form):
    """Order code and phone: both must match for the status page to show anything."""

    code = _text(_("Kode pesanan"), 12, autocomplete="off", autocapitalize="characters")
    phone = _text(
        _("Nomor HP yang dipakai saat memesan"),
        20,
        autocomplete="tel",
        inputmode="tel",
        type="tel",
    )
