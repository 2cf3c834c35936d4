"""Demo service standards: the kabupaten's offices and services, written as the upstream (the
demo village's kabupaten) would have sent them (read-only here), and two of the village's own.

Requirement lists follow the published standards (Permendagri 108/2019 for Dukcapil documents,
Perpol 6/2023 and PP 76/2020 for the SKCK, BPJS Kesehatan for JKN/KIS). Every record has a
stable id and is only created when missing: loading twice adds nothing.
"""

import uuid

from hub.site.models import VillageSettings
from hub.sync.registry import received_from_origin

from .models import Category, Office, ServiceStandard
from .services import office_save, service_save

DEMO_NAMESPACE = uuid.UUID("6b0d7f3e-2f7e-4a55-9c83-4f1f0b5d2c11")

DUKCAPIL_COMPLAINTS = (
    "Loket pengaduan Disdukcapil, SMS/WA pengaduan Disdukcapil, atau SP4N-LAPOR! "
    "(lapor.go.id, SMS 1708)."
)

OFFICES = [
    # key, name, kind, address, hours, phone, owner ("kab" or "desa")
    (
        "dukcapil",
        "Dinas Kependudukan dan Pencatatan Sipil Kabupaten",
        Office.Kind.DUKCAPIL,
        "Jl. Jenderal Sudirman No. 12, ibu kota kabupaten",
        "Senin–Kamis 08.00–15.00, Jumat 08.00–11.00",
        "0745 123456",
        "kab",
    ),
    (
        "kecamatan",
        "Kantor Camat",
        Office.Kind.KECAMATAN,
        "Jl. Lintas Sumatra, pusat kecamatan",
        "Senin–Jumat 08.00–15.00",
        "",
        "kab",
    ),
    (
        "polres",
        "Polres (pelayanan SKCK)",
        Office.Kind.POLSEK,
        "Mapolres, ibu kota kabupaten",
        "Senin–Sabtu 08.00–14.00",
        "",
        "kab",
    ),
    (
        "bpjs",
        "Kantor BPJS Kesehatan Kabupaten",
        Office.Kind.BPJS,
        "Jl. Pahlawan No. 5, ibu kota kabupaten",
        "Senin–Jumat 08.00–15.00; Care Center 165",
        "",
        "kab",
    ),
    (
        "puskesmas",
        "Puskesmas Kecamatan",
        Office.Kind.PUSKESMAS,
        "Pusat kecamatan",
        "Senin–Sabtu 08.00–12.00; UGD 24 jam",
        "",
        "kab",
    ),
    (
        "desa",
        "Kantor Desa",
        Office.Kind.DESA,
        "Balai desa",
        "Senin–Jumat 08.00–14.00",
        "",
        "desa",
    ),
]

# key, title, category, summary, requirements, procedure, duration, free, cost, product,
# office key, letter code, owner
SERVICES = [
    (
        "ktp-el",
        "Perekaman dan penerbitan KTP-el",
        Category.KEPENDUDUKAN,
        "KTP elektronik untuk penduduk yang berusia 17 tahun, sudah atau pernah kawin.",
        "Berusia 17 tahun, sudah kawin atau pernah kawin\nKartu Keluarga (KK) asli\n"
        "Datang sendiri untuk foto, sidik jari dan iris mata",
        "Bawa KK ke Disdukcapil atau tempat perekaman keliling\nAmbil nomor antrean\n"
        "Perekaman foto, sidik jari, iris mata dan tanda tangan\n"
        "KTP-el dicetak; bila blangko habis, terima surat keterangan pengganti",
        "Hari itu juga bila blangko tersedia",
        True,
        "",
        "KTP-el",
        "dukcapil",
        "",
        "kab",
    ),
    (
        "kk-baru",
        "Penerbitan Kartu Keluarga baru",
        Category.KEPENDUDUKAN,
        "KK baru karena membentuk keluarga baru, pisah KK, atau perubahan data.",
        "Buku nikah/kutipan akta perkawinan atau akta cerai\n"
        "Surat keterangan pindah bagi penduduk pindahan\n"
        "KK lama (bila pisah KK atau perubahan data)\n"
        "Formulir F-1.01 yang diisi dan ditandatangani\n"
        "Surat pengantar dari desa",
        "Minta surat pengantar KK di kantor desa\nIsi formulir F-1.01\n"
        "Serahkan berkas di loket Disdukcapil\nVerifikasi dan validasi data\n"
        "KK dicetak atau dikirim dalam bentuk PDF untuk dicetak sendiri",
        "1 hari kerja setelah berkas lengkap",
        True,
        "",
        "Kartu Keluarga",
        "dukcapil",
        "pengantar-kk",
        "kab",
    ),
    (
        "akta-kelahiran",
        "Penerbitan akta kelahiran",
        Category.KEPENDUDUKAN,
        "Akta kelahiran anak; dilaporkan paling lambat 60 hari setelah lahir.",
        "Surat keterangan lahir dari rumah sakit, puskesmas, bidan atau kepala desa\n"
        "Kartu Keluarga tempat anak didaftarkan\n"
        "KTP-el kedua orang tua\n"
        "Buku nikah/akta perkawinan orang tua, atau SPTJM kebenaran sebagai pasangan suami "
        "istri\n"
        "Formulir F-2.01 pelaporan kelahiran\n"
        "Nama dan NIK dua orang saksi",
        "Minta surat keterangan kelahiran di kantor desa bila lahir di rumah\n"
        "Isi formulir F-2.01\nSerahkan berkas ke Disdukcapil\n"
        "Akta kelahiran dan KK baru diterbitkan",
        "1 hari kerja setelah berkas lengkap",
        True,
        "",
        "Kutipan akta kelahiran dan KK yang diperbarui",
        "dukcapil",
        "kelahiran",
        "kab",
    ),
    (
        "akta-kematian",
        "Penerbitan akta kematian",
        Category.KEPENDUDUKAN,
        "Laporkan kematian anggota keluarga paling lambat 30 hari.",
        "Surat keterangan kematian dari rumah sakit, puskesmas atau kepala desa\n"
        "Kartu Keluarga almarhum/almarhumah\nKTP-el pelapor\nFormulir F-2.01",
        "Minta surat keterangan kematian di kantor desa\nSerahkan berkas ke Disdukcapil\n"
        "Akta kematian terbit dan KK diperbarui",
        "1 hari kerja",
        True,
        "",
        "Kutipan akta kematian",
        "dukcapil",
        "kematian",
        "kab",
    ),
    (
        "skck",
        "Surat Keterangan Catatan Kepolisian (SKCK)",
        Category.SOSIAL,
        "Untuk melamar kerja, mendaftar sekolah kedinasan atau keperluan lain.",
        "Fotokopi KTP-el\nFotokopi Kartu Keluarga\nFotokopi akta kelahiran atau ijazah\n"
        "Pas foto 4x6 berwarna latar merah, 6 lembar\n"
        "Kartu sidik jari (dibuat di Polres bila belum punya)\n"
        "Surat pengantar dari kantor desa",
        "Minta surat pengantar SKCK di kantor desa\n"
        "Daftar lewat aplikasi Presisi Polri atau langsung di loket\n"
        "Pengambilan sidik jari bila belum punya\nBayar PNBP dan ambil SKCK",
        "Hari itu juga",
        False,
        "Rp 30.000 (PNBP, PP 76/2020)",
        "SKCK berlaku 6 bulan",
        "polres",
        "pengantar-skck",
        "kab",
    ),
    (
        "jkn-kis-pbi",
        "Pendaftaran JKN-KIS bantuan iuran (PBI)",
        Category.KESEHATAN,
        "Kartu Indonesia Sehat bagi warga tidak mampu, iurannya dibayar pemerintah.",
        "Terdaftar di Data Terpadu Kesejahteraan Sosial (DTKS) atau diusulkan desa\n"
        "Fotokopi KTP-el\nFotokopi Kartu Keluarga\n"
        "Surat keterangan tidak mampu (SKTM) dari kantor desa",
        "Minta SKTM di kantor desa\nDesa mengusulkan ke Dinas Sosial lewat musyawarah desa\n"
        "Dinas Sosial menetapkan dan mendaftarkan ke BPJS Kesehatan\n"
        "Kartu KIS dibagikan lewat desa atau dicek di aplikasi Mobile JKN",
        "Mengikuti penetapan bulanan Dinas Sosial",
        True,
        "",
        "Kartu KIS (JKN PBI)",
        "bpjs",
        "tidak-mampu",
        "kab",
    ),
    (
        "jkn-mandiri",
        "Pendaftaran BPJS Kesehatan mandiri",
        Category.KESEHATAN,
        "Peserta JKN bukan penerima upah; seluruh anggota KK didaftarkan.",
        "KTP-el\nKartu Keluarga\nNomor HP dan alamat surel\nRekening bank untuk autodebet",
        "Daftar lewat Mobile JKN, Pandawa (WA 08118165165) atau kantor BPJS\n"
        "Pilih kelas\nTerima nomor virtual account\nBayar iuran pertama",
        "Kartu aktif 14 hari setelah pendaftaran",
        False,
        "Iuran per orang per bulan: kelas III Rp 42.000 (Rp 35.000 dibayar peserta)",
        "Kartu JKN-KIS",
        "bpjs",
        "",
        "kab",
    ),
    (
        "imunisasi",
        "Imunisasi dasar lengkap bayi",
        Category.KESEHATAN,
        "Imunisasi gratis di posyandu dan puskesmas.",
        "Buku KIA (buku pink)\nBayi dalam keadaan sehat",
        "Datang ke posyandu sesuai jadwal atau ke puskesmas\nPenimbangan dan pemeriksaan\n"
        "Imunisasi dan pencatatan di buku KIA",
        "Hari itu juga",
        True,
        "",
        "Imunisasi dicatat di buku KIA",
        "puskesmas",
        "",
        "kab",
    ),
    (
        "nib",
        "Nomor Induk Berusaha (NIB) usaha mikro",
        Category.USAHA,
        "Izin usaha mikro dan kecil lewat OSS, dibantu kecamatan.",
        "KTP-el\nNPWP (bila ada)\nNomor HP dan alamat surel aktif\n"
        "Alamat dan jenis usaha (KBLI)\nSurat keterangan usaha dari desa (membantu)",
        "Buat akun di oss.go.id\nIsi data usaha dan pilih KBLI\nTerbitkan NIB\n"
        "Bila sulit, minta bantuan di kantor camat",
        "Hari itu juga",
        True,
        "",
        "NIB (sekaligus izin usaha mikro)",
        "kecamatan",
        "usaha",
        "kab",
    ),
    (
        "domisili",
        "Surat keterangan domisili",
        Category.KEPENDUDUKAN,
        "Keterangan bertempat tinggal di desa, untuk bank, sekolah atau pekerjaan.",
        "KTP-el\nKartu Keluarga\nSurat pengantar RT",
        "Ajukan di hub desa atau datang ke kantor desa\nPetugas memeriksa data\n"
        "Surat ditandatangani kepala desa",
        "1 hari kerja",
        True,
        "",
        "Surat keterangan domisili",
        "desa",
        "domisili",
        "desa",
    ),
    (
        "sktm",
        "Surat keterangan tidak mampu (SKTM)",
        Category.SOSIAL,
        "Untuk keringanan biaya sekolah, berobat atau pendaftaran bantuan sosial.",
        "KTP-el\nKartu Keluarga\nSurat pengantar RT\nKeterangan keperluan",
        "Ajukan di hub desa atau datang ke kantor desa\nPetugas memeriksa data\n"
        "Surat ditandatangani kepala desa",
        "1 hari kerja",
        True,
        "",
        "Surat keterangan tidak mampu",
        "desa",
        "tidak-mampu",
        "desa",
    ),
]


def demo_uuid(name: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, name)


def _save(model, obj, owner: str, kabupaten: str, saver):
    if model.objects.filter(pk=obj.pk).exists():
        return False
    if owner == "kab":
        with received_from_origin():
            obj.origin, obj.rev = kabupaten, 1
            obj.full_clean()
            obj.save()
    else:
        saver(obj)
    return True


def load_demo_services() -> int:
    """Create what is missing of the demo offices and services; how many were made."""
    village = VillageSettings.load()
    if not village.village_code:
        raise RuntimeError("load the demo village first: the services need the village code")
    kabupaten = village.village_code[:4]
    made = 0
    offices = {}
    for key, name, kind, address, hours, phone, owner in OFFICES:
        office = Office(
            id=demo_uuid(f"office:{key}"),
            name=name,
            kind=kind,
            address=address,
            hours=hours,
            phone=phone,
        )
        made += _save(Office, office, owner, kabupaten, lambda o: office_save(office=o))
        offices[key] = Office.objects.get(pk=office.pk)
    for (
        key,
        title,
        category,
        summary,
        requirements,
        procedure,
        duration,
        free,
        cost,
        product,
        office_key,
        letter,
        owner,
    ) in SERVICES:
        service = ServiceStandard(
            id=demo_uuid(f"service:{key}"),
            title=title,
            category=category,
            summary=summary,
            requirements=requirements,
            procedure=procedure,
            duration=duration,
            free_of_charge=free,
            cost=cost,
            product=product,
            complaints=DUKCAPIL_COMPLAINTS
            if office_key == "dukcapil"
            else (
                "Kotak saran kantor desa, kepala desa, atau SP4N-LAPOR! (lapor.go.id, SMS 1708)."
            ),
            legal_basis="Permenpan-RB No. 15 Tahun 2014 tentang Pedoman Standar Pelayanan",
            guarantee="Pelayanan diberikan sesuai standar ini; tidak ada pungutan di luar tarif.",
            office=offices[office_key],
            letter_code=letter,
        )
        made += _save(ServiceStandard, service, owner, kabupaten, lambda s: service_save(service=s))
    return made


def load_demo() -> list[str]:
    """``load_demo``'s loader (hub.core.demo)."""
    made = load_demo_services()
    return [f"Layanan demo / demo services: {made} baru / new ({len(SERVICES)} layanan)."]
