"""The demo shop of the demo village: BUMDes Berantai Sejahtera, its products, a staff account and
a couple of orders. Loaded by ``load_demo`` after the demo village (scripts/run does
both on a new database).

The categories are written as the upstream (the province, Jambi: ``15``) would have sent them,
through :func:`hub.sync.registry.received_from_origin`, so the village treats them exactly like
synced ones: read-only here. Photos are drawn with Pillow (nothing is downloaded); the cluster
makes their renditions in the background, as for any uploaded photo.

Every record has a stable id and is only created when missing: loading twice adds nothing and
changes nothing (no new revision, no journal row).
"""

import io
import random
import secrets
import uuid
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter
from wagtail.images import get_image_model

from hub.media.services import image_from_bytes
from hub.site.models import VillageSettings
from hub.sync.registry import received_from_origin

from .models import Bumdes, BumdesStaff, OrderStatus, Product, ProductCategory
from .services import LineWanted, order_place, order_status_set

DEMO_NAMESPACE = uuid.UUID("0f5e7c1a-8a52-4d3b-9a61-2c4b7e9d3f20")
STAFF_USERNAME = "bumdes"
STAFF_GROUP = "Pengelola BUMDes"

CATEGORIES = [
    # slug, name, English name, sort order
    ("hasil-pertanian", "Hasil pertanian", "Farm produce", 10),
    ("perkebunan", "Hasil perkebunan", "Plantation crops", 20),
    ("olahan-pangan", "Olahan pangan", "Processed food", 30),
    ("bibit", "Bibit tanaman", "Seedlings", 40),
]

# slug, name, category, description, price, unit, fractional, stock, min order, preorder days,
# photo colours (background, items)
PRODUCTS = [
    (
        "beras-merah",
        "Beras merah",
        "hasil-pertanian",
        "Beras merah lokal dari sawah lembah Batang Asai, giling sendiri.",
        15000,
        "kg",
        True,
        "120",
        "0.5",
        None,
        ((236, 224, 200), (150, 60, 50)),
    ),
    (
        "kangkung",
        "Kangkung segar",
        "hasil-pertanian",
        "Dipetik pagi hari, satu ikat cukup untuk empat orang.",
        3000,
        "ikat",
        False,
        "40",
        "1",
        None,
        ((220, 235, 215), (60, 140, 60)),
    ),
    (
        "kopi-robusta",
        "Kopi robusta bubuk",
        "olahan-pangan",
        "Kopi kebun warga, disangrai dan digiling di rumah produksi BUMDes. 250 gram.",
        35000,
        "bungkus",
        False,
        "25",
        "1",
        None,
        ((210, 180, 140), (80, 50, 30)),
    ),
    (
        "pinang-kering",
        "Pinang kering",
        "perkebunan",
        "Pinang belah kering, kadar air rendah.",
        12000,
        "kg",
        True,
        "300",
        "1",
        None,
        ((240, 230, 210), (190, 120, 60)),
    ),
    (
        "madu-hutan",
        "Madu hutan",
        "olahan-pangan",
        "Madu lebah hutan dari Bukit Berantai, botol 500 ml.",
        90000,
        "botol",
        False,
        "12",
        "1",
        None,
        ((245, 235, 200), (220, 150, 30)),
    ),
    (
        "keripik-pisang",
        "Keripik pisang",
        "olahan-pangan",
        "Pisang kepok diiris tipis, digoreng renyah. 200 gram.",
        15000,
        "bungkus",
        False,
        "60",
        "1",
        None,
        ((250, 240, 215), (230, 190, 70)),
    ),
    (
        "bibit-karet",
        "Bibit karet klon unggul",
        "bibit",
        "Bibit okulasi siap tanam, tinggi 40–60 cm, dalam polibag.",
        8000,
        "batang",
        False,
        "500",
        "10",
        None,
        ((225, 215, 195), (70, 120, 50)),
    ),
    (
        "durian",
        "Durian Batang Asai",
        "perkebunan",
        "Durian kampung musim depan: pesan sekarang, diambil saat panen.",
        40000,
        "buah",
        False,
        "50",
        "1",
        45,
        ((230, 230, 210), (120, 140, 40)),
    ),
]

ORDERS = [
    # key, buyer, phone, fulfilment, address, [(product slug, quantity)], status
    ("order-1", "Ibu Nurhayati", "0812 7001 2001", "ambil", "", [("beras-merah", "5")], "baru"),
    (
        "order-2",
        "Pak Rusli",
        "0852 6600 3002",
        "antar",
        "Dusun II, rumah ketiga setelah masjid",
        [("kopi-robusta", "2"), ("keripik-pisang", "3")],
        OrderStatus.CONFIRMED,
    ),
]


def demo_uuid(name: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, name)


def product_photo(background: tuple, items: tuple, seed: int, size=(1200, 900)) -> bytes:
    """A JPEG 'photo' of produce on a woven mat: a basket of items with light and grain."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    for y in range(0, height, 24):  # the mat
        shade = tuple(max(0, c - 18 * ((y // 24) % 2)) for c in background)
        draw.rectangle([0, y, width, y + 11], fill=shade)
    cx, cy = width // 2, height // 2 + 40
    draw.ellipse([cx - 430, cy - 250, cx + 430, cy + 300], fill=(150, 110, 60))  # basket
    draw.ellipse([cx - 390, cy - 215, cx + 390, cy + 255], fill=(120, 85, 45))
    for _ in range(60):
        x = cx + rng.randint(-330, 330)
        y = cy + rng.randint(-170, 200)
        r = rng.randint(35, 75)
        tint = tuple(min(255, max(0, c + rng.randint(-30, 30))) for c in items)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tint)
        draw.ellipse(
            [x - r // 3, y - r // 2, x, y - r // 5], fill=tuple(min(255, c + 60) for c in tint)
        )
    noise = Image.effect_noise(size, 24).convert("RGB")
    image = Image.blend(image, noise, 0.10).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def photo_image(slug: str, name: str, colours: tuple, seed: int):
    title = f"Foto produk demo: {name}"
    existing = get_image_model().objects.filter(title=title).first()
    if existing:
        return existing
    return image_from_bytes(
        data=product_photo(*colours, seed=seed), title=title, name=f"demo-produk-{slug}.jpg"
    )


def _categories(province: str) -> dict[str, ProductCategory]:
    out = {}
    with received_from_origin():
        for slug, name, name_en, order in CATEGORIES:
            category = ProductCategory.objects.filter(pk=demo_uuid(f"category:{slug}")).first()
            if category is None:
                category = ProductCategory.objects.create(
                    id=demo_uuid(f"category:{slug}"),
                    origin=province,
                    rev=1,
                    name=name,
                    name_en=name_en,
                    slug=slug,
                    sort_order=order,
                )
            out[slug] = category
    return out


def _bumdes(village: VillageSettings) -> Bumdes:
    bumdes = Bumdes.objects.filter(pk=demo_uuid("bumdes")).first()
    if bumdes is not None:
        return bumdes
    bumdes = Bumdes(
        id=demo_uuid("bumdes"),
        name="BUMDes Berantai Sejahtera",
        legal_name="Badan Usaha Milik Desa Berantai Sejahtera",
        slug="berantai-sejahtera",
        description=(
            "BUMDes Desa Bukit Berantai: hasil kebun dan sawah warga, olahan pangan rumah "
            "produksi desa, dan bibit tanaman. Pesan di hub desa, ambil di kios BUMDes atau "
            "diantar di dalam desa."
        ),
        whatsapp="0812 6000 2021",
        address=village.address or "Kios BUMDes, halaman Balai Desa Bukit Berantai",
        opening_hours="Senin–Sabtu 08.00–16.00",
        bank_name="Bank Jambi",
        bank_account_number="001-02-03456-7",
        bank_account_holder="BUMDes Berantai Sejahtera",
    )
    bumdes.full_clean()
    bumdes.save()
    return bumdes


def _products(bumdes: Bumdes, categories: dict[str, ProductCategory]) -> dict[str, Product]:
    out = {}
    today = timezone.localdate()
    for seed, row in enumerate(PRODUCTS):
        slug, name, category, description, price, unit, fractional, stock, minimum = row[:9]
        preorder_days, colours = row[9], row[10]
        product = Product.objects.filter(pk=demo_uuid(f"product:{slug}")).first()
        if product is None:
            product = Product(
                id=demo_uuid(f"product:{slug}"),
                bumdes=bumdes,
                category=categories[category],
                name=name,
                slug=slug,
                short_description=description,
                price=price,
                unit=unit,
                fractional=fractional,
                stock=Decimal(stock),
                min_order=Decimal(minimum),
                photo_1=photo_image(slug, name, colours, seed),
                preorder=preorder_days is not None,
                harvest_date=today + timedelta(days=preorder_days) if preorder_days else None,
            )
            product.full_clean()
            product.save()
        out[slug] = product
    return out


def _orders(bumdes: Bumdes, products: dict[str, Product]) -> int:
    """The demo orders, placed through the service (stock is reserved) the first time only."""
    if bumdes.orders.exists():
        return 0
    for _key, buyer, phone, fulfilment, address, lines, status in ORDERS:
        order = order_place(
            bumdes=bumdes,
            lines=[LineWanted(products[slug].pk, quantity) for slug, quantity in lines],
            buyer_name=buyer,
            buyer_phone=phone,
            fulfilment=fulfilment,
            delivery_address=address,
        )
        if status != OrderStatus.NEW:
            order_status_set(order=order, status=status)
    return len(ORDERS)


def _staff(bumdes: Bumdes) -> str | None:
    """The BUMDes's staff account; returns its new password (None when it existed already)."""
    user_model = get_user_model()
    if user_model.objects.filter(username=STAFF_USERNAME).exists():
        return None
    password = secrets.token_urlsafe(12)
    user = user_model.objects.create_user(
        STAFF_USERNAME, "", password, first_name="Kasir", last_name="BUMDes"
    )
    group = Group.objects.filter(name=STAFF_GROUP).first()
    if group is not None:
        user.groups.add(group)
    else:
        # Until the staff group exists: the admin and the marketplace's own permissions.
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="wagtailadmin", codename="access_admin"
            ),
            *Permission.objects.filter(
                content_type__app_label="marketplace",
                content_type__model__in=["product", "order", "orderline"],
            ),
        )
    BumdesStaff.objects.create(user=user, bumdes=bumdes)
    return password


@transaction.atomic
def load_demo_market() -> dict:
    """Create what is missing of the demo shop; returns what was made, incl. a new password."""
    village = VillageSettings.load()
    if not village.village_code:
        raise RuntimeError("load the demo village first: the shop needs the village code")
    categories = _categories(province=village.village_code[:2])
    bumdes = _bumdes(village)
    products = _products(bumdes, categories)
    orders = _orders(bumdes, products)
    return {
        "bumdes": bumdes,
        "products": len(products),
        "orders_placed": orders,
        "staff_username": STAFF_USERNAME,
        "staff_password": _staff(bumdes),
    }


def load_demo() -> list[str]:
    """``load_demo``'s loader (hub.core.demo): the demo shop, and what to print."""
    result = load_demo_market()
    lines = [
        f"Toko demo siap / demo shop ready: {result['bumdes']} "
        f"({result['products']} produk / products)."
    ]
    if result["staff_password"]:
        lines.append(
            f"Akun BUMDes / BUMDes staff login: {result['staff_username']}  "
            f"sandi / password: {result['staff_password']}\n"
            "(ditampilkan sekali saja / shown only this once)"
        )
    return lines
