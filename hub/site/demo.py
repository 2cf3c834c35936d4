"""The demo village: Bukit Berantai (15.03.01.2021), Kec. Batang Asai, Kab. Sarolangun, Jambi.

Everything is made here, images included (drawn with Pillow), and keyed by stable ids so that
loading it again updates instead of duplicating.
"""

import io
import json
import random
import secrets
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from hub.media.services import image_from_bytes

from .models import (
    AgendaIndexPage,
    AgendaItem,
    Announcement,
    AnnouncementIndexPage,
    Category,
    HomePage,
    ProfilePage,
    VillageSettings,
)
from .services import village_identity_set

DEMO_CODE = "15.03.01.2021"
DEMO_NAMESPACE = uuid.UUID("5b0c2a57-3d0e-4a53-9b1c-6f1d3c6b2a10")


def demo_uuid(name: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, name)


def _scene(kind: str, seed: int) -> bytes:
    """A 1600x1067 'photo' drawn with Pillow: sky, hills, fields, with grain like a real photo."""
    rng = random.Random(seed)
    width, height = 1600, 1067
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height // 2):
        shade = int(170 + 60 * y / (height / 2))
        draw.line([(0, y), (width, y)], fill=(110, shade, 235))
    palette = {
        "sawah": [(64, 140, 60), (96, 170, 70), (140, 190, 80)],
        "posyandu": [(200, 120, 90), (230, 190, 120), (90, 150, 110)],
        "gotong": [(120, 100, 70), (80, 130, 70), (160, 140, 90)],
        "pasar": [(210, 90, 60), (240, 180, 60), (120, 160, 80)],
        "kantor": [(230, 230, 220), (160, 60, 50), (70, 130, 80)],
    }[kind]
    for band in range(6):
        top = height // 2 + band * height // 12 - rng.randint(0, 40)
        points = (
            [(0, height)]
            + [(x, top + rng.randint(-30, 30)) for x in range(0, width + 200, 200)]
            + [(width, height)]
        )
        draw.polygon(points, fill=palette[band % len(palette)])
    for _ in range(14):
        x, y = rng.randint(0, width), rng.randint(height // 2, height)
        r = rng.randint(20, 90)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=palette[rng.randint(0, 2)])
    draw.ellipse([1300, 90, 1420, 210], fill=(255, 236, 150))
    noise = Image.effect_noise((width, height), 28).convert("RGB")
    image = Image.blend(image, noise, 0.12).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _image(title: str, kind: str, seed: int):
    existing = get_image_model().objects.filter(title=title).first()
    if existing:
        return existing
    return image_from_bytes(data=_scene(kind, seed), title=title, name=f"demo-{kind}-{seed}.jpg")


def _child(parent: Page, model, slug: str, **fields):
    page = model.objects.child_of(parent).filter(slug=slug).first()
    if page:
        return page
    page = model(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


ANNOUNCEMENTS = [
    (
        "jadwal-posyandu",
        "Posyandu balita dan lansia bulan ini",
        Category.KESEHATAN,
        True,
        "posyandu",
        "<p>Posyandu Melati buka di balai desa setiap Selasa minggu kedua, pukul 08.00–11.00. "
        "Bawa buku KIA dan kartu BPJS. Ada penimbangan, imunisasi dan pemeriksaan tekanan "
        "darah untuk lansia.</p>",
    ),
    (
        "bantuan-bibit-karet",
        "Pendaftaran bantuan bibit karet unggul",
        Category.PERTANIAN,
        False,
        "sawah",
        "<p>Kelompok tani yang ingin menerima bibit karet klon unggul dapat mendaftar di kantor "
        "desa sampai akhir bulan. Syarat: fotokopi KTP ketua kelompok dan daftar anggota.</p>",
    ),
    (
        "gotong-royong-irigasi",
        "Gotong royong membersihkan saluran irigasi",
        Category.SOSIAL,
        False,
        "gotong",
        "<p>Seluruh warga diajak bergotong royong membersihkan saluran irigasi Dusun I dan "
        "Dusun II pada hari Minggu pukul 07.00. Bawa cangkul dan parang.</p>",
    ),
    (
        "waspada-banjir",
        "Waspada banjir musim hujan",
        Category.BENCANA,
        True,
        None,
        "<p>Curah hujan tinggi. Warga di tepi Sungai Batang Asai diminta waspada dan menyimpan "
        "dokumen penting di tempat yang tinggi. Bila air naik, segera menuju balai desa.</p>",
    ),
    (
        "pelayanan-surat",
        "Jam pelayanan surat di kantor desa",
        Category.PEMERINTAHAN,
        False,
        "kantor",
        "<p>Pelayanan surat keterangan dan pengantar dibuka Senin–Jumat pukul 08.00–14.00. "
        "Permohonan juga dapat diajukan lewat hub desa.</p>",
    ),
    (
        "pasar-bumdes",
        "Pasar BUMDes setiap Kamis",
        Category.EKONOMI,
        False,
        "pasar",
        "<p>BUMDes Berantai Sejahtera membuka pasar hasil kebun setiap Kamis di halaman balai "
        "desa: karet, pinang, kopi, dan sayur warga.</p>",
    ),
    (
        "beasiswa-siswa",
        "Informasi beasiswa untuk siswa SMP dan SMA",
        Category.PENDIDIKAN,
        False,
        None,
        "<p>Pemerintah kabupaten membuka beasiswa bagi siswa berprestasi dari keluarga kurang "
        "mampu. Formulir tersedia di kantor desa.</p>",
    ),
]

AGENDA = [
    ("musdes", "Musyawarah desa rencana kerja tahunan", 3, 9, 3, "Balai Desa Bukit Berantai", None),
    ("posyandu", "Posyandu Melati", 6, 8, 3, "Balai Desa", "posyandu"),
    ("penyuluhan", "Penyuluhan budidaya kopi", 10, 13, 2, "Rumah Ketua Kelompok Tani", "sawah"),
    ("lomba", "Lomba kebersihan antar-dusun", 20, 8, 6, "Seluruh dusun", "gotong"),
]


@transaction.atomic
def load_demo_village(stdout=None) -> dict:
    """Create or update the demo village; returns what was made, incl. a new admin password."""
    result = {"admin_password": None}
    village = VillageSettings.load()
    if not village.village_code:
        village_identity_set(code=DEMO_CODE)
        village = VillageSettings.load()
    village.address = village.address or "Jl. Lintas Batang Asai, Bukit Berantai, 37485"
    village.phone = village.phone or "0745-000000"
    village.whatsapp = village.whatsapp or "+6281200000000"
    village.office_hours = village.office_hours or "Senin–Jumat 08.00–14.00"
    village.save()

    images = {
        kind: _image(title, kind, seed)
        for seed, (kind, title) in enumerate(
            [
                ("sawah", "Sawah dan kebun di Bukit Berantai"),
                ("posyandu", "Kegiatan posyandu"),
                ("gotong", "Gotong royong warga"),
                ("pasar", "Pasar BUMDes"),
                ("kantor", "Kantor desa"),
            ]
        )
    }

    root = Page.get_first_root_node()
    home = HomePage.objects.first()
    if home is None:
        home = HomePage(title=village.display_name, slug="beranda")
        root.add_child(instance=home)
    home.title = village.display_name
    home.intro = (
        "<p>Selamat datang di hub digital Desa Bukit Berantai, Kecamatan Batang Asai. Baca "
        "pengumuman, lihat agenda kegiatan, dan kenali desa kami — juga saat internet satelit "
        "sedang putus.</p>"
    )
    home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first() or Site(is_default_site=True)
    site.root_page = home
    site.hostname = site.hostname or "localhost"
    site.site_name = village.display_name
    site.save()

    _child(home, AnnouncementIndexPage, "pengumuman", title="Pengumuman", show_in_menus=True)
    _child(home, AgendaIndexPage, "kegiatan", title="Kegiatan", show_in_menus=True)
    officials = [
        {"name": name, "position": position, "photo": None}
        for name, position in [
            ("H. Abdul Rahman", "Kepala Desa"),
            ("Siti Aminah, S.E.", "Sekretaris Desa"),
            ("Yusuf Hidayat", "Kepala Urusan Keuangan"),
            ("Rini Marlina", "Kepala Seksi Pelayanan"),
        ]
    ]
    table = {
        "data": [
            ["Dusun", "Kepala keluarga", "Penduduk"],
            ["Dusun I", "212", "781"],
            ["Dusun II", "187", "664"],
            ["Dusun III", "143", "522"],
        ],
        "first_row_is_table_header": True,
        "first_col_is_header": False,
    }
    profile_body = json.dumps(
        [
            {
                "type": "text",
                "value": "<p>Bukit Berantai terletak di Kecamatan Batang Asai, Kabupaten "
                "Sarolangun, Provinsi Jambi, di tepi Sungai Batang Asai. Sebagian besar warga "
                "berkebun karet, kopi dan pinang, dan bersawah di lembah.</p>",
            },
            {
                "type": "image",
                "value": {
                    "image": images["sawah"].pk,
                    "alt_text": "Sawah dan kebun di lembah Bukit Berantai",
                    "decorative": False,
                },
            },
            {"type": "table", "value": table},
            {"type": "officials", "value": officials},
        ]
    )
    _child(home, ProfilePage, "profil", title="Profil Desa", show_in_menus=True, body=profile_body)

    now = timezone.now()
    for age, (key, title, category, pinned, image_kind, body) in enumerate(ANNOUNCEMENTS):
        Announcement.objects.update_or_create(
            id=demo_uuid(f"announcement:{key}"),
            defaults={
                "title": title,
                "category": category,
                "pinned": pinned,
                "image": images.get(image_kind) if image_kind else None,
                "body": body,
                "publish_at": now - timedelta(days=age * 2, hours=3),
            },
        )
    for key, title, days, hour, hours, place, image_kind in AGENDA:
        starts = (now + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
        AgendaItem.objects.update_or_create(
            id=demo_uuid(f"agenda:{key}"),
            defaults={
                "title": title,
                "place": place,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=hours),
                "image": images.get(image_kind) if image_kind else None,
                "body": f"<p>{title}. Warga diharapkan hadir tepat waktu.</p>",
                "publish_at": now - timedelta(days=1),
            },
        )

    user_model = get_user_model()
    if not user_model.objects.filter(username="admin").exists():
        password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser("admin", "", password)
        result["admin_password"] = password
    result["home_url"] = home.url
    return result


def load_demo() -> list[str]:
    """``load_demo``'s loader (hub.core.demo): the demo village, and what to print."""
    result = load_demo_village()
    lines = ["Desa demo siap / demo village ready."]
    if result["admin_password"]:
        lines.append(
            "Akun admin / admin login: admin  kata sandi / password: "
            f"{result['admin_password']}\n(ditampilkan sekali saja / shown only this once)"
        )
    return lines
