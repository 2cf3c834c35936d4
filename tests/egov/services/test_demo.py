"""The demo services and documents: loaded after the demo village, read-only where the
kabupaten owns them, and idempotent."""

from django.core.management import call_command

from egov.documents.models import LegalDocument
from egov.services.models import Office, ServiceStandard
from hub.site.demo import load_demo_village
from hub.site.models import VillageSettings
from hub.sync.models import JournalEntry


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Office, ServiceStandard, LegalDocument, JournalEntry)
    }


def test_demo_services_and_documents_load_once(db, settings, tmp_path, capsys):
    # given the demo village
    settings.MEDIA_ROOT = tmp_path / "media"
    load_demo_village()
    village = VillageSettings.load()
    kabupaten = village.village_code[:4]

    # when the demos are loaded twice
    call_command("load_demo", only=["layanan", "produk-hukum"])
    first = counts()
    call_command("load_demo", only=["layanan", "produk-hukum"])
    output = capsys.readouterr().out

    # then the real requirement lists are there, the kabupaten's read-only, the village's own
    ktp = ServiceStandard.objects.get(title__startswith="Perekaman dan penerbitan KTP-el")
    assert ktp.origin == kabupaten and not ktp.is_local
    assert "Kartu Keluarga (KK) asli" in ktp.requirement_list
    skck = ServiceStandard.objects.get(title__contains="SKCK")
    assert not skck.free_of_charge and "30.000" in skck.cost
    assert skck.letter_url == "/surat/ajukan/pengantar-skck/"
    sktm = ServiceStandard.objects.get(title__contains="SKTM")
    assert sktm.origin == village.village_code and sktm.office.kind == Office.Kind.DESA
    assert ServiceStandard.objects.filter(title__icontains="BPJS").exists()
    assert ServiceStandard.objects.filter(title__icontains="akta kelahiran").exists()
    # and the documents have their PDFs, the amended Perbup links to its amendment
    assert LegalDocument.objects.filter(origin=village.village_code, kind="perdes").count() == 2
    amended = LegalDocument.objects.get(status="diubah")
    assert amended.changed_by.number == "11" and amended.origin == kabupaten
    assert all(d.pdf.read(5) == b"%PDF-" for d in LegalDocument.objects.all())
    # and nothing was added the second time
    assert counts() == first
    assert "Layanan demo" in output and "Produk hukum demo" in output
