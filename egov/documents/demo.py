"""Demo legal documents: the kabupaten's regulations on villages (written as the upstream would
have sent them, read-only here) and the village's own Perdes, Perkades and APBDes, each with a
tiny generated PDF. Stable ids; loading twice adds nothing."""

import datetime
import uuid

from hub.site.models import VillageSettings
from hub.sync.registry import received_from_origin

from .models import Kind, LegalDocument, Status
from .samples import pdf_bytes
from .services import document_save, pdf_attach

DEMO_NAMESPACE = uuid.UUID("a3c1e0d4-5b7a-4f0e-8d2c-9e6b1f4a7c35")

# key, kind, number, year, title, abstract, enacted, promulgated, subject, field, owner,
# status, changed by (key)
DOCUMENTS = [
    (
        "perbup-siskeudes-2023",
        Kind.PERBUP,
        "7",
        2023,
        "Pedoman Pengelolaan Keuangan Desa",
        "Mengatur perencanaan, pelaksanaan, penatausahaan, pelaporan dan "
        "pertanggungjawaban keuangan desa.",
        datetime.date(2023, 2, 14),
        datetime.date(2023, 2, 15),
        "Keuangan desa",
        "Hukum administrasi negara",
        "kab",
        Status.DIUBAH,
        "perbup-siskeudes-2024",
    ),
    (
        "perbup-siskeudes-2024",
        Kind.PERBUP,
        "11",
        2024,
        "Perubahan atas Peraturan Bupati Nomor 7 Tahun 2023 tentang Pedoman Pengelolaan "
        "Keuangan Desa",
        "Menyesuaikan batas belanja dan jadwal pelaporan realisasi APB Desa.",
        datetime.date(2024, 3, 4),
        datetime.date(2024, 3, 5),
        "Keuangan desa",
        "Hukum administrasi negara",
        "kab",
        Status.BERLAKU,
        None,
    ),
    (
        "perdes-apbdes-2025",
        Kind.PERDES,
        "1",
        2025,
        "Anggaran Pendapatan dan Belanja Desa Tahun Anggaran 2025",
        "Menetapkan pendapatan, belanja dan pembiayaan desa tahun 2025.",
        datetime.date(2025, 1, 10),
        datetime.date(2025, 1, 10),
        "APB Desa",
        "Keuangan desa",
        "desa",
        Status.BERLAKU,
        None,
    ),
    (
        "perdes-rkpdes-2025",
        Kind.PERDES,
        "2",
        2025,
        "Rencana Kerja Pemerintah Desa Tahun 2026",
        "Rencana kegiatan desa tahun 2026 hasil musyawarah desa.",
        datetime.date(2025, 9, 22),
        datetime.date(2025, 9, 22),
        "Perencanaan desa",
        "Pemerintahan desa",
        "desa",
        Status.BERLAKU,
        None,
    ),
    (
        "perkades-posyandu-2024",
        Kind.PERKADES,
        "4",
        2024,
        "Jadwal dan Insentif Kader Posyandu",
        "Menetapkan jadwal posyandu tiap dusun dan insentif kader.",
        datetime.date(2024, 7, 1),
        None,
        "Kesehatan",
        "Pemerintahan desa",
        "desa",
        Status.BERLAKU,
        None,
    ),
]


def demo_uuid(name: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, name)


def load_demo_documents() -> int:
    village = VillageSettings.load()
    if not village.village_code:
        raise RuntimeError("load the demo village first: the documents need the village code")
    kabupaten = village.village_code[:4]
    made = 0
    # the documents that change others first, so the links point at existing rows
    for row in sorted(DOCUMENTS, key=lambda r: r[12] is not None):
        (key, kind, number, year, title, abstract, enacted, promulgated, subject, field) = row[:10]
        owner, status, changed_by = row[10:]
        if LegalDocument.objects.filter(pk=demo_uuid(key)).exists():
            continue
        publisher = (
            "Pemerintah Kabupaten" if owner == "kab" else f"Pemerintah {village.display_name}"
        )
        document = LegalDocument(
            id=demo_uuid(key),
            kind=kind,
            number=number,
            year=year,
            title=title,
            abstract=abstract,
            enacted_on=enacted,
            promulgated_on=promulgated,
            subject=subject,
            legal_field=field,
            publisher=publisher,
            status=status,
            changed_by_id=demo_uuid(changed_by) if changed_by else None,
        )
        data = pdf_bytes(
            [publisher, f"{document.get_kind_display()} Nomor {number} Tahun {year}", "tentang"]
            + [title[i : i + 60] for i in range(0, len(title), 60)]
        )
        if owner == "kab":
            with received_from_origin():
                document.origin, document.rev = kabupaten, 1
                document.full_clean(exclude=["pdf"])
                pdf_attach(document=document, data=data)
                document.save()
        else:
            document_save(document=document, pdf_data=data)
        made += 1
    return made


def load_demo() -> list[str]:
    made = load_demo_documents()
    return [f"Produk hukum demo / demo documents: {made} baru / new ({len(DOCUMENTS)})."]
