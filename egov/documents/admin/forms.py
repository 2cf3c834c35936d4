"""The admin form of a legal document: the PDF is checked by its bytes and stored by hash
through ``document_save``, as every other path stores it."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from ..services import NotAPdf, document_save, pdf_check, pdf_size_check


class LegalDocumentForm(WagtailAdminModelForm):
    pdf_upload = forms.FileField(
        label=_("berkas PDF"),
        required=False,
        help_text=_("PDF hasil pindai atau ekspor. Kosongkan bila tidak mengganti berkas."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def clean_pdf_upload(self):
        upload = self.cleaned_data.get("pdf_upload")
        if not upload:
            self._pdf_data = None
            return upload
        try:
            # by its size first, without reading an oversized file into memory
            pdf_size_check(upload.size)
            data = upload.read()
            pdf_check(data)
        except NotAPdf as exc:
            raise forms.ValidationError(exc.messages) from exc
        self._pdf_data = data
        return upload

    def save(self, commit=True):
        document = super().save(commit=False)
        if commit:
            document_save(document=document, pdf_data=getattr(self, "_pdf_data", None))
        return document
