"""Forms of the letter pages. They carry the inputs and their sizes only; every rule (NIK, KK,
phone, the type's fields, the photos) is the service's, so the admin, a command and these
pages refuse the same things. A :class:`~egov.letters.services.LetterError` is put back on the
form field it names."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LetterType
from .services import Applicant

ACCEPT = "image/jpeg,image/png,image/webp"


def _text(label, max_length, *, required=True, textarea=False, **attrs):
    widget = forms.Textarea(attrs={"rows": 3, **attrs}) if textarea else forms.TextInput(attrs)
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=widget,
        strip=True,
        error_messages={
            "required": _("Wajib diisi."),
            "max_length": _("Terlalu panjang (paling banyak %(limit_value)d huruf)."),
        },
    )


def _number16(label):
    return _text(label, 24, inputmode="numeric", autocomplete="off", placeholder="16 angka")


class ServiceErrorsMixin:
    def add_service_error(self, exc) -> None:
        if hasattr(exc, "error_dict"):
            for key, errors in exc.message_dict.items():
                self.add_error(key if key in self.fields else None, errors)
        else:
            self.add_error(None, exc.messages)


class LetterRequestForm(ServiceErrorsMixin, forms.Form):
    """The applicant, the type's own fields (``f_<name>``) and its photos (``a_<name>``)."""

    name = _text(_("Nama lengkap (sesuai KTP)"), 120, autocomplete="name")
    nik = _number16(_("NIK"))
    kk = _number16(_("Nomor KK"))
    phone = _text(
        _("Nomor HP"), 20, autocomplete="tel", inputmode="tel", placeholder="08…", type="tel"
    )
    address = _text(_("Alamat (RT/RW, dusun)"), 300, textarea=True)
    purpose = _text(_("Keperluan surat"), 200)

    def __init__(self, *args, letter_type: LetterType, correcting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.letter_type = letter_type
        if correcting:
            del self.fields["phone"]
        for spec in letter_type.fields:
            name, kind, label = spec["name"], spec.get("kind", "text"), spec["label"]
            required = bool(spec.get("required", True))
            if kind == "choice":
                field = forms.ChoiceField(
                    label=label,
                    required=required,
                    choices=[("", "—")] + [(c, c) for c in spec.get("choices", [])],
                    error_messages={"required": _("Wajib diisi.")},
                )
            elif kind == "date":
                field = _text(label, 10, required=required, type="date")
            elif kind == "person":
                field = _text(label, 120, required=required)
                self.fields[f"f_{name}_nik"] = _number16(_("NIK %(label)s") % {"label": label})
                self.fields[f"f_{name}_nik"].required = required
            else:
                field = _text(
                    label,
                    1000 if kind == "textarea" else 200,
                    required=required,
                    textarea=kind == "textarea",
                )
            self.fields[f"f_{name}"] = field
            if kind == "person":  # the name before its NIK
                self.fields[f"f_{name}_nik"] = self.fields.pop(f"f_{name}_nik")
        for spec in letter_type.attachments:
            self.fields[f"a_{spec['name']}"] = forms.FileField(
                label=spec["label"],
                required=not correcting,
                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
                error_messages={"required": _("Wajib dilampirkan.")},
            )

    def applicant(self, phone: str = "") -> Applicant:
        data = self.cleaned_data
        return Applicant(
            name=data["name"],
            nik=data["nik"],
            kk=data["kk"],
            phone=phone or data.get("phone", ""),
            address=data["address"],
            purpose=data["purpose"],
        )

    def values(self) -> dict:
        return {
            key[2:]: value
            for key, value in self.cleaned_data.items()
            if key.startswith("f_") and value is not None
        }

    def uploads(self) -> dict:
        return {
            key[2:]: value
            for key, value in self.cleaned_data.items()
            if key.startswith("a_") and value
        }


class LookupForm(forms.Form):
    """Tracking code and phone: the only way a villager reaches their request."""

    code = _text(_("Kode permohonan"), 12, autocomplete="off", autocapitalize="characters")
    phone = _text(_("Nomor HP"), 20, autocomplete="tel", inputmode="tel", type="tel")


class DecisionForm(forms.Form):
    text = _text(_("Catatan"), 1000, textarea=True)
