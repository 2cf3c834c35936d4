"""Service standards and legal documents between a village and its upstream, in one process
(the engine's in-process client: tests/harness/inprocess.py).

Down: the province upstream's records reach the villages of their ``region`` only. Up: a
village's own Perdes (with its PDF) and services reach the upstream, and nothing comes back
editable elsewhere.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError

from egov.documents.models import Kind, LegalDocument
from egov.documents.samples import pdf_bytes
from egov.documents.services import document_create, document_save
from egov.services.models import Category, Office, ServiceStandard
from egov.services.services import office_create, service_create
from hub.sync.models import SyncRun
from hub.sync.upstream.enrollment import village_enroll
from hub.sync.village.pinning import upstream_set
from hub.sync.village.run import sync_run
from hub.sync.wire import keys
from tests.harness.inprocess import InProcessTransport, node_settings

UPSTREAM = "15"
VILLAGE = "1503012021"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SERVICE = {
    "category": Category.KEPENDUDUKAN,
    "requirements": "Kartu Keluarga",
    "procedure": "Datang ke loket",
    "duration": "1 hari",
    "product": "KTP-el",
    "complaints": "SP4N-LAPOR!",
}


def document(number: str, **fields) -> dict:
    return {
        "kind": Kind.PERBUP,
        "number": number,
        "year": 2025,
        "title": f"Dokumen {number}",
        "enacted_on": datetime.date(2025, 5, 2),
        "publisher": "Pemerintah Kabupaten",
        **fields,
    }


@pytest.fixture
def transport(upstream, settings, tmp_path):
    for name, value in node_settings(tmp_path / "village", SYNC_NODE_CODE=VILLAGE).items():
        setattr(settings, name, value)
    village_key, _created = keys.node_key_create()
    with upstream.active():
        village_enroll(code=VILLAGE, public_key=keys.public_key_text(village_key.public_key()))
    upstream_set(url="http://upstream.test", public_key=upstream.public_key, code=UPSTREAM)
    return InProcessTransport(upstream)


def test_upstream_services_and_regulations_reach_only_the_villages_of_their_region(
    upstream, transport
):
    # given on the province upstream: an office and a service for the whole province, a
    # service and a Perbup (with its PDF) for kabupaten 1503, and the same for kabupaten 1504
    pdf = pdf_bytes(["Peraturan Bupati Nomor 7 Tahun 2025"])
    with upstream.active():
        office = office_create(name="Disdukcapil", kind=Office.Kind.DUKCAPIL)
        province_wide = service_create(title="KTP-el", office=office, **SERVICE)
        ours = service_create(title="Layanan 1503", region="1503", **SERVICE)
        theirs = service_create(title="Layanan 1504", region="1504", **SERVICE)
        perbup = document_create(pdf_data=pdf, region="1503", **document("7"))
        other_perbup = document_create(region="1504", **document("8"))
        no_pdf_yet = document_create(region="1503", **document("9"))

    # when the village of kabupaten 1503 syncs
    run = sync_run(trigger="test", force=True, transport=transport)

    # then it holds what concerns it, read-only, and nothing of kabupaten 1504
    assert run.outcome == SyncRun.Outcome.OK, run.error
    assert set(ServiceStandard.objects.values_list("pk", flat=True)) == {
        province_wide.pk,
        ours.pk,
    }
    here = ServiceStandard.objects.select_related("office").get(pk=province_wide.pk)
    assert here.office.name == "Disdukcapil" and here.origin == UPSTREAM and not here.is_local
    assert not ServiceStandard.objects.filter(pk=theirs.pk).exists()
    assert not LegalDocument.objects.filter(pk=other_perbup.pk).exists()
    # and the Perbup's PDF came down as a blob, checked and stored by hash
    copy = LegalDocument.objects.get(pk=perbup.pk)
    assert copy.pdf_sha256 == perbup.pdf_sha256
    assert copy.pdf.read() == pdf
    assert not LegalDocument.objects.get(pk=no_pdf_yet.pk).pdf
    # and the cluster made its first-page preview here, from the PDF here
    assert copy.preview and copy.preview_sha256 == copy.pdf_sha256
    # and the village cannot edit what the upstream owns
    here.title = "Diubah di desa"
    with pytest.raises(ValidationError):
        here.full_clean()


def test_a_village_perdes_with_its_pdf_and_its_own_service_go_up(upstream, transport):
    # given the village's own Perdes with its PDF, and a village service
    pdf = pdf_bytes(["Peraturan Desa Nomor 1 Tahun 2025"])
    perdes = document_create(
        pdf_data=pdf, **document("1", kind=Kind.PERDES, publisher="Pemerintah Desa")
    )
    service = service_create(title="Surat domisili", letter_code="domisili", **SERVICE)

    # when the village syncs
    run = sync_run(trigger="test", force=True, transport=transport)

    # then the upstream holds both, as the village's, with the PDF, and lists the Perdes
    assert run.outcome == SyncRun.Outcome.OK, run.error
    with upstream.active():
        there = LegalDocument.objects.get(pk=perdes.pk)
        assert (there.origin, there.title, there.pdf.read()) == (VILLAGE, "Dokumen 1", pdf)
        assert ServiceStandard.objects.get(pk=service.pk).origin == VILLAGE
        # and the upstream may not change it: only the village may
        there.title = "Diubah di atas"
        with pytest.raises(ValidationError):
            document_save(document=there)
