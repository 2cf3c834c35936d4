"""The ten letters village offices issue most, as a fresh hub starts with them (data migration
``0002_seed_types_and_group``). Officials adjust them in the admin afterwards; the ``code``
is the stable slug other apps link to.

Classification codes follow the Permendagri 83/2022 klasifikasi arsip groups (400 kesejahteraan
rakyat, 470 kependudukan/pencatatan sipil, 500 perekonomian, 300 ketenteraman dan ketertiban).
"""

KTP = {"name": "ktp", "label": "Foto KTP pemohon"}
KK = {"name": "kk", "label": "Foto Kartu Keluarga"}
RT = {"name": "pengantar_rt", "label": "Foto surat pengantar RT/RW"}

OPENING = (
    "Yang bertanda tangan di bawah ini, Kepala {desa}, Kecamatan {kecamatan}, {kabupaten}, "
    "menerangkan dengan sebenarnya bahwa:\n\n"
    "Nama: {nama}\nNIK: {nik}\nNomor KK: {kk}\nJenis kelamin: {jenis_kelamin}\n"
    "Tanggal lahir: {tanggal_lahir}\nAlamat: {alamat}\n\n"
)
CLOSING = (
    "\n\nSurat keterangan ini dibuat untuk keperluan {keperluan}. Demikian surat ini dibuat "
    "dengan sebenarnya untuk dipergunakan sebagaimana mestinya."
)


def _text(name, label, required=True, kind="text"):
    return {"name": name, "label": label, "kind": kind, "required": required}


LETTER_TYPES = [
    {
        "code": "domisili",
        "name": "Surat Keterangan Domisili",
        "klasifikasi": "470",
        "number_pattern": "{klasifikasi}/{seq:03}/DOM/{month_roman}/{year}",
        "description": "Menerangkan bahwa Anda bertempat tinggal di desa ini.",
        "fields": [
            _text("rt_rw", "RT/RW"),
            _text("lama_tinggal", "Lama tinggal di alamat ini (tahun)"),
        ],
        "attachments": [KTP, KK, RT],
        "body_template": OPENING
        + "adalah benar penduduk yang berdomisili di RT/RW {rt_rw} {desa} sejak "
        "{lama_tinggal} tahun yang lalu." + CLOSING,
        "sort_order": 10,
    },
    {
        "code": "usaha",
        "name": "Surat Keterangan Usaha (SKU)",
        "klasifikasi": "500",
        "number_pattern": "{klasifikasi}/{seq:03}/SKU/{month_roman}/{year}",
        "description": "Untuk pinjaman KUR, izin usaha mikro, atau bantuan modal.",
        "fields": [
            _text("nama_usaha", "Nama usaha"),
            _text("jenis_usaha", "Jenis usaha (misalnya warung, tani, bengkel)"),
            _text("alamat_usaha", "Alamat usaha", kind="textarea"),
            _text("mulai_usaha", "Usaha berjalan sejak", kind="date"),
        ],
        "attachments": [KTP, KK, {"name": "foto_usaha", "label": "Foto tempat usaha"}],
        "body_template": OPENING
        + "adalah benar memiliki usaha {jenis_usaha} dengan nama {nama_usaha}, beralamat di "
        "{alamat_usaha}, yang berjalan sejak {mulai_usaha}." + CLOSING,
        "sort_order": 20,
    },
    {
        "code": "tidak-mampu",
        "name": "Surat Keterangan Tidak Mampu (SKTM)",
        "klasifikasi": "400",
        "number_pattern": "{klasifikasi}/{seq:03}/SKTM/{month_roman}/{year}",
        "description": "Untuk keringanan biaya sekolah, berobat, atau bantuan sosial.",
        "fields": [
            _text("pekerjaan", "Pekerjaan"),
            _text("penghasilan", "Penghasilan keluarga per bulan (Rp)"),
            _text("tanggungan", "Jumlah tanggungan keluarga"),
            {
                "name": "digunakan_untuk",
                "label": "Digunakan untuk",
                "kind": "choice",
                "choices": ["Pendidikan", "Kesehatan", "Bantuan sosial", "Lainnya"],
                "required": True,
            },
        ],
        "attachments": [KTP, KK, RT],
        "body_template": OPENING
        + "bekerja sebagai {pekerjaan} dengan penghasilan keluarga sekitar Rp {penghasilan} "
        "per bulan dan {tanggungan} orang tanggungan, adalah benar warga kurang mampu. "
        "Surat ini digunakan untuk {digunakan_untuk}." + CLOSING,
        "sort_order": 30,
    },
    {
        "code": "pengantar-skck",
        "name": "Surat Pengantar SKCK",
        "klasifikasi": "300",
        "number_pattern": "{klasifikasi}/{seq:03}/SKCK/{month_roman}/{year}",
        "description": "Pengantar ke Polsek/Polres untuk membuat SKCK.",
        "fields": [
            _text("pekerjaan", "Pekerjaan"),
            _text("tujuan_skck", "SKCK untuk (misalnya melamar kerja)"),
        ],
        "attachments": [KTP, KK, RT],
        "body_template": OPENING
        + "bekerja sebagai {pekerjaan}, sepanjang pengetahuan kami berkelakuan baik dan tidak "
        "pernah tersangkut perkara pidana. Surat pengantar ini diberikan untuk permohonan SKCK "
        "guna {tujuan_skck}." + CLOSING,
        "sort_order": 40,
    },
    {
        "code": "keterangan-umum",
        "name": "Surat Keterangan Umum / Penduduk",
        "klasifikasi": "470",
        "number_pattern": "{klasifikasi}/{seq:03}/KET/{month_roman}/{year}",
        "description": "Keterangan lain yang tidak ada jenis suratnya.",
        "fields": [_text("keterangan", "Yang perlu diterangkan", kind="textarea")],
        "attachments": [KTP, KK],
        "body_template": OPENING + "{keterangan}" + CLOSING,
        "sort_order": 50,
    },
    {
        "code": "kelahiran",
        "name": "Surat Keterangan Kelahiran",
        "klasifikasi": "474",
        "number_pattern": "{klasifikasi}.1/{seq:03}/LHR/{year}",
        "description": "Untuk mengurus akta kelahiran di Dukcapil.",
        "fields": [
            _text("nama_bayi", "Nama bayi"),
            {
                "name": "jenis_kelamin_bayi",
                "label": "Jenis kelamin bayi",
                "kind": "choice",
                "choices": ["Laki-laki", "Perempuan"],
                "required": True,
            },
            _text("tanggal_lahir_bayi", "Tanggal lahir bayi", kind="date"),
            _text("tempat_lahir_bayi", "Tempat lahir (rumah, puskesmas …)"),
            {"name": "ibu", "label": "Ibu", "kind": "person", "required": True},
            {"name": "ayah", "label": "Ayah", "kind": "person", "required": False},
        ],
        "attachments": [
            KK,
            {"name": "keterangan_lahir", "label": "Foto surat keterangan lahir bidan/puskesmas"},
        ],
        "body_template": (
            "Kepala {desa}, Kecamatan {kecamatan}, {kabupaten}, menerangkan bahwa pada tanggal "
            "{tanggal_lahir_bayi} di {tempat_lahir_bayi} telah lahir seorang anak "
            "{jenis_kelamin_bayi} bernama {nama_bayi}, dari ibu {ibu} (NIK {ibu_nik}) dan ayah "
            "{ayah} (NIK {ayah_nik}).\n\nDilaporkan oleh: {nama}, NIK {nik}, alamat {alamat}."
        )
        + CLOSING,
        "sort_order": 60,
    },
    {
        "code": "kematian",
        "name": "Surat Keterangan Kematian",
        "klasifikasi": "474",
        "number_pattern": "{klasifikasi}.3/{seq:03}/MATI/{year}",
        "description": "Untuk mengurus akta kematian, warisan, atau pensiun.",
        "fields": [
            {"name": "almarhum", "label": "Yang meninggal", "kind": "person", "required": True},
            _text("tanggal_meninggal", "Tanggal meninggal", kind="date"),
            _text("tempat_meninggal", "Tempat meninggal"),
            _text("sebab", "Sebab meninggal", required=False),
            _text("hubungan", "Hubungan pelapor dengan yang meninggal"),
        ],
        "attachments": [KK, KTP],
        "body_template": (
            "Kepala {desa}, Kecamatan {kecamatan}, {kabupaten}, menerangkan bahwa {almarhum} "
            "(NIK {almarhum_nik}) telah meninggal dunia pada tanggal {tanggal_meninggal} di "
            "{tempat_meninggal}, sebab: {sebab}.\n\nDilaporkan oleh {nama} (NIK {nik}), "
            "{hubungan} dari yang meninggal."
        )
        + CLOSING,
        "sort_order": 70,
    },
    {
        "code": "pindah",
        "name": "Surat Pengantar Pindah",
        "klasifikasi": "475",
        "number_pattern": "{klasifikasi}/{seq:03}/PINDAH/{year}",
        "description": "Pengantar ke Dukcapil untuk pindah domisili ke luar desa.",
        "fields": [
            _text("alamat_tujuan", "Alamat tujuan", kind="textarea"),
            _text("alasan_pindah", "Alasan pindah"),
            _text("jumlah_ikut", "Jumlah anggota keluarga yang ikut pindah"),
        ],
        "attachments": [KTP, KK, RT],
        "body_template": OPENING
        + "akan pindah ke {alamat_tujuan} karena {alasan_pindah}, bersama {jumlah_ikut} "
        "anggota keluarga." + CLOSING,
        "sort_order": 80,
    },
    {
        "code": "pengantar-nikah",
        "name": "Surat Pengantar Nikah (N1–N4)",
        "klasifikasi": "474",
        "number_pattern": "{klasifikasi}.2/{seq:03}/NIKAH/{year}",
        "description": "Pengantar ke KUA atau Dukcapil untuk pendaftaran nikah.",
        "fields": [
            {
                "name": "status_kawin",
                "label": "Status perkawinan sekarang",
                "kind": "choice",
                "choices": ["Belum kawin", "Cerai hidup", "Cerai mati"],
                "required": True,
            },
            {"name": "calon", "label": "Calon pasangan", "kind": "person", "required": True},
            _text("tanggal_nikah", "Rencana tanggal nikah", kind="date"),
            _text("tempat_nikah", "Tempat nikah (KUA/Dukcapil)"),
        ],
        "attachments": [KTP, KK, RT],
        "body_template": OPENING
        + "berstatus {status_kawin}, akan menikah dengan {calon} (NIK {calon_nik}) pada "
        "tanggal {tanggal_nikah} di {tempat_nikah}." + CLOSING,
        "sort_order": 90,
    },
    {
        "code": "pengantar-kk",
        "name": "Surat Pengantar Kartu Keluarga",
        "klasifikasi": "470",
        "number_pattern": "{klasifikasi}/{seq:03}/KK/{year}",
        "description": "Pengantar ke Dukcapil untuk KK baru, tambah anggota, atau perubahan.",
        "fields": [
            {
                "name": "jenis_permohonan",
                "label": "Permohonan",
                "kind": "choice",
                "choices": ["KK baru", "Tambah anggota", "Perubahan data", "KK hilang/rusak"],
                "required": True,
            },
            _text("rincian", "Rincian perubahan", kind="textarea"),
        ],
        "attachments": [KTP, KK, RT],
        "body_template": OPENING
        + "mengajukan {jenis_permohonan} Kartu Keluarga dengan rincian: {rincian}."
        + CLOSING,
        "sort_order": 100,
    },
]

SERVICE_GROUP = "Pelayanan"
SERVICE_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("egov_letters", "review_letterrequest"),
    ("egov_letters", "view_letterrequest"),
    ("egov_letters", "change_letterrequest"),
    ("egov_letters", "add_lettertype"),
    ("egov_letters", "change_lettertype"),
    ("egov_letters", "view_lettertype"),
]
