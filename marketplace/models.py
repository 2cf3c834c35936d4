"""The BUMDes marketplace: categories, BUMDes, products, orders and outside order requests.

Every model here but :class:`BumdesStaff` is a synced record (see ``marketplace/sync.py``):

- categories and outside buyers' order requests are owned by the upstream and come down;
- BUMDes, products, orders and order lines are owned by their village and go up.

Only the origin changes a record, so where two parties act on one sale each owns its own record:
the upstream's :class:`OrderRequest` is answered by the village's :class:`Order`.
"""

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin

from hub.core.personal import phone_masked, phone_normalize
from hub.sync.records import SyncedRecord

PHOTO_FIELDS = ("photo_1", "photo_2", "photo_3", "photo_4", "photo_5")
UNIT_SUGGESTIONS = (
    "kg",
    "gram",
    "ons",
    "liter",
    "buah",
    "ikat",
    "sisir",
    "paket",
    "karung",
    "lembar",
    "botol",
    "bungkus",
    "pcs",
    "ekor",
    "jam",
)


class ProductCategory(SyncedRecord):
    """A product category (hasil pertanian, perikanan, kerajinan, …). Owned and edited by the
    upstream (Diskominfo operators); synced down to the villages of its region, read-only there."""

    name = models.CharField(_("nama"), max_length=80)
    name_en = models.CharField(_("nama (Inggris)"), max_length=80, blank=True)
    slug = models.SlugField(_("slug"), max_length=80)
    sort_order = models.PositiveSmallIntegerField(_("urutan"), default=100)

    class Meta:
        verbose_name = _("kategori produk")
        verbose_name_plural = pgettext_lazy("jamak", "kategori produk")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    def display_name(self, language: str = "id") -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class Bumdes(SyncedRecord):
    """A village-owned enterprise (BUMDes) that sells through the hub. Edited by village
    officials and its own staff; synced up so the province market can show its products."""

    name = models.CharField(_("nama"), max_length=120)
    legal_name = models.CharField(_("nama badan hukum"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=80)
    description = models.TextField(_("deskripsi"), blank=True)
    whatsapp = models.CharField(
        _("nomor WhatsApp"),
        max_length=16,
        blank=True,
        help_text=_("Boleh ditulis 08…, 628… atau +628…; disimpan sebagai +628…."),
    )
    address = models.TextField(_("alamat"), blank=True)
    opening_hours = models.CharField(_("jam buka"), max_length=120, blank=True)
    logo = models.ForeignKey(
        settings.WAGTAILIMAGES_IMAGE_MODEL,
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account_number = models.CharField(_("nomor rekening"), max_length=30, blank=True)
    bank_account_holder = models.CharField(_("atas nama"), max_length=120, blank=True)
    active = models.BooleanField(_("aktif"), default=True)
    order_expire_hours = models.PositiveSmallIntegerField(
        _("batas waktu konfirmasi (jam)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Pesanan baru yang belum dikonfirmasi sampai batas ini dibatalkan otomatis dan "
            "stoknya kembali. Kosong: bawaan hub."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("BUMDes")
        verbose_name_plural = _("BUMDes")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["origin", "slug"], name="bumdes_slug_per_village")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.whatsapp:
            try:
                self.whatsapp = phone_normalize(self.whatsapp)
            except ValidationError as exc:
                raise ValidationError({"whatsapp": exc.messages}) from exc
        if self.bank_account_number and not re.fullmatch(
            r"[\d\-. ]{5,30}", self.bank_account_number
        ):
            raise ValidationError({"bank_account_number": _("Nomor rekening hanya berisi angka.")})

    @property
    def village_code(self) -> str:
        return self.origin

    @property
    def order_expire_hours_effective(self) -> int:
        """Hours a new order waits for confirmation before it expires (0: never)."""
        return self.order_expire_hours or settings.MARKET_ORDER_EXPIRE_HOURS


class BumdesStaff(models.Model):
    """Links an admin user to the one BUMDes whose products and orders they manage. Local to
    the hub (users do not sync). A user with no link and the marketplace permissions (a village
    official) sees every BUMDes of the village."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pengguna"),
        on_delete=models.CASCADE,
        related_name="bumdes_staff",
    )
    bumdes = models.ForeignKey(
        Bumdes, verbose_name=_("BUMDes"), on_delete=models.CASCADE, related_name="staff"
    )

    class Meta:
        verbose_name = _("pengelola BUMDes")
        verbose_name_plural = pgettext_lazy("jamak", "pengelola BUMDes")

    def __str__(self):
        return f"{self.user} → {self.bumdes}"


def _photo_field(verbose_name):
    """One of a product's five photos: an image of the library, kept when the product goes."""
    return models.ForeignKey(
        settings.WAGTAILIMAGES_IMAGE_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class ProductQuerySet(SearchableQuerySetMixin, models.QuerySet):
    def for_sale(self):
        """Active products of active BUMDes."""
        return self.filter(active=True, bumdes__active=True)


class Product(index.Indexed, SyncedRecord):
    """A product or service a BUMDes sells. Edited by that BUMDes's staff; synced up, with its
    photos as blobs. ``stock`` is what is still available: orders reserve from it at once."""

    bumdes = models.ForeignKey(
        Bumdes, verbose_name=_("BUMDes"), on_delete=models.PROTECT, related_name="products"
    )
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("kategori"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
    )
    name = models.CharField(_("nama"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80)
    short_description = models.CharField(_("keterangan singkat"), max_length=300, blank=True)
    price = models.PositiveBigIntegerField(
        _("harga (Rp)"),
        validators=[MinValueValidator(1)],
        help_text=_("Harga per satuan dalam rupiah utuh, mis. 15000 atau 15.000."),
    )
    unit = models.CharField(_("satuan"), max_length=20, default="buah")
    fractional = models.BooleanField(
        _("boleh pecahan"),
        default=False,
        help_text=_("Centang untuk barang yang dijual per berat atau volume (mis. 1,5 kg)."),
    )
    stock = models.DecimalField(
        _("stok tersedia"),
        max_digits=12,
        decimal_places=3,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    min_order = models.DecimalField(
        _("pesanan minimum"),
        max_digits=10,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    max_per_order = models.DecimalField(
        _("paling banyak per pesanan"),
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_("Kosong: tidak dibatasi selain batas per nomor HP."),
    )
    max_per_phone = models.DecimalField(
        _("paling banyak per nomor HP"),
        max_digits=10,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_(
            "Jumlah yang boleh dipesan satu nomor HP dalam pesanan yang belum selesai. "
            "Kosong: separuh stok yang tersedia (bawaan hub)."
        ),
    )
    photo_1 = _photo_field(_("foto utama"))
    photo_2 = _photo_field(_("foto 2"))
    photo_3 = _photo_field(_("foto 3"))
    photo_4 = _photo_field(_("foto 4"))
    photo_5 = _photo_field(_("foto 5"))
    active = models.BooleanField(_("dijual"), default=True)
    preorder = models.BooleanField(
        _("pra-pesan (musiman)"),
        default=False,
        help_text=_("Untuk hasil panen yang belum ada: pembeli memesan lebih dulu."),
    )
    harvest_date = models.DateField(_("perkiraan panen"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()
    # indexed by marketplace.signal_handlers, which skips saves that only move the stock
    search_auto_update = False

    search_fields = [
        index.SearchField("name", boost=3),
        index.AutocompleteField("name"),
        index.SearchField("short_description"),
        index.FilterField("active"),
        index.FilterField("bumdes_id"),
        index.FilterField("category_id"),
        index.RelatedFields("bumdes", [index.SearchField("name"), index.FilterField("active")]),
    ]

    class Meta:
        verbose_name = _("produk")
        verbose_name_plural = pgettext_lazy("jamak", "produk")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["bumdes", "slug"], name="product_slug_per_bumdes")
        ]
        indexes = [models.Index(fields=["active", "name"], name="product_active_name")]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.unit:
            self.unit = self.unit.strip()
        if self.preorder and self.harvest_date is None:
            raise ValidationError(
                {"harvest_date": _("Produk pra-pesan memerlukan perkiraan tanggal panen.")}
            )
        if not self.fractional:
            if self.stock is not None and self.stock != self.stock.to_integral_value():
                raise ValidationError(
                    {"stock": _("Stok produk ini harus bilangan bulat (tidak boleh pecahan).")}
                )
            if self.min_order is not None and self.min_order != self.min_order.to_integral_value():
                raise ValidationError(
                    {"min_order": _("Pesanan minimum harus bilangan bulat untuk produk ini.")}
                )

    @property
    def photos(self) -> list:
        return [p for p in (getattr(self, f) for f in PHOTO_FIELDS) if p is not None]

    @property
    def photo(self):
        photos = self.photos
        return photos[0] if photos else None

    @property
    def in_stock(self) -> bool:
        return self.stock >= self.min_order

    @property
    def village_code(self) -> str:
        return self.origin


class Fulfilment(models.TextChoices):
    PICKUP = "ambil", _("Diambil sendiri")
    DELIVERY = "antar", _("Diantar (dalam desa)")


class OrderStatus(models.TextChoices):
    NEW = "baru", _("Baru")
    CONFIRMED = "dikonfirmasi", _("Dikonfirmasi")
    READY = "siap", _("Siap diambil/dikirim")
    DONE = "selesai", _("Selesai")
    CANCELLED = "dibatalkan", _("Dibatalkan")


class CancelKind(models.TextChoices):
    """Why an order was cancelled, when the hub (not a person) cancelled it."""

    EXPIRED = "kedaluwarsa", _("Tidak dikonfirmasi tepat waktu")


# which status may follow which; cancelling is possible until the order is done
ORDER_NEXT = {
    OrderStatus.NEW: {OrderStatus.CONFIRMED, OrderStatus.CANCELLED},
    OrderStatus.CONFIRMED: {OrderStatus.READY, OrderStatus.CANCELLED},
    OrderStatus.READY: {OrderStatus.DONE, OrderStatus.CANCELLED},
    OrderStatus.DONE: set(),
    OrderStatus.CANCELLED: set(),
}
# an order code: no 0/O, 1/I/L, 2/Z, 5/S, 8/B that a villager could misread from a phone
ORDER_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
ORDER_CODE_LENGTH = 6


class Order(SyncedRecord):
    """An order placed at the village hub (or accepted from an outside buyer's request).
    Owned by the village; handled by the BUMDes's staff; synced up without the buyer's name,
    phone and address (personal data the upstream does not need: see ``marketplace/sync.py``)."""

    # no rich text or page links in an order: Wagtail's reference index has nothing to learn
    # from one, and updating it was a quarter of the time of placing an order
    wagtail_reference_index_ignore = True
    # sealed in backups (hub.core.backup), erased by the retention (marketplace.services)
    personal_fields = ("buyer_name", "buyer_phone", "delivery_address", "note")

    bumdes = models.ForeignKey(
        Bumdes, verbose_name=_("BUMDes"), on_delete=models.PROTECT, related_name="orders"
    )
    code = models.CharField(_("kode pesanan"), max_length=12)
    buyer_name = models.CharField(_("nama pemesan"), max_length=120, blank=True)
    buyer_phone = models.CharField(_("nomor HP"), max_length=16, blank=True)
    fulfilment = models.CharField(
        _("pengambilan"), max_length=10, choices=Fulfilment.choices, default=Fulfilment.PICKUP
    )
    delivery_address = models.CharField(_("alamat antar"), max_length=300, blank=True)
    note = models.CharField(_("catatan"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=15, choices=OrderStatus.choices, default=OrderStatus.NEW
    )
    cancel_reason = models.CharField(_("alasan batal"), max_length=300, blank=True)
    cancel_kind = models.CharField(
        _("dibatalkan oleh hub"), max_length=12, choices=CancelKind.choices, blank=True
    )
    total = models.PositiveBigIntegerField(_("total (Rp)"), default=0)
    placed_at = models.DateTimeField(_("waktu pesan"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("status berubah"), default=timezone.now)
    request = models.OneToOneField(
        "OrderRequest",
        verbose_name=_("permintaan dari luar desa"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order",
    )
    # HMAC of the client address, for the rate limit; local only (never synced)
    client_key = models.CharField(max_length=64, blank=True, editable=False)
    # when the buyer's name, phone, address and note were erased (retention or the buyer's
    # request, ``marketplace.services``); local only, like them
    anonymised_at = models.DateTimeField(_("data pembeli dihapus"), null=True, editable=False)

    class Meta:
        verbose_name = _("pesanan")
        verbose_name_plural = pgettext_lazy("jamak", "pesanan")
        ordering = ["-placed_at"]
        constraints = [
            models.UniqueConstraint(fields=["origin", "code"], name="order_code_per_village")
        ]
        indexes = [
            models.Index(fields=["bumdes", "status"], name="order_bumdes_status"),
            models.Index(fields=["client_key", "placed_at"], name="order_client_time"),
        ]

    def __str__(self):
        return self.code

    @property
    def status_label(self) -> str:
        if self.status == OrderStatus.READY:
            if self.fulfilment == Fulfilment.DELIVERY:
                return str(_("Siap dikirim"))
            return str(_("Siap diambil"))
        return str(self.get_status_display())

    @property
    def buyer_phone_masked(self) -> str:
        return phone_masked(self.buyer_phone)

    @property
    def expired(self) -> bool:
        """Cancelled by the hub because no one confirmed it in time."""
        return self.status == OrderStatus.CANCELLED and self.cancel_kind == CancelKind.EXPIRED

    @property
    def is_open(self) -> bool:
        return self.status not in (OrderStatus.DONE, OrderStatus.CANCELLED)

    def next_statuses(self) -> list[str]:
        return sorted(ORDER_NEXT[OrderStatus(self.status)], key=list(OrderStatus).index)


class OrderLine(SyncedRecord):
    """One product in an order, with the name, unit and price as they were when it was placed.
    Owned by the village with its order; synced up."""

    wagtail_reference_index_ignore = True

    order = models.ForeignKey(
        Order, verbose_name=_("pesanan"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("produk"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="order_lines",
    )
    product_name = models.CharField(_("nama produk"), max_length=120)
    unit = models.CharField(_("satuan"), max_length=20)
    unit_price = models.PositiveBigIntegerField(_("harga satuan (Rp)"))
    quantity = models.DecimalField(_("jumlah"), max_digits=10, decimal_places=3)
    subtotal = models.PositiveBigIntegerField(_("subtotal (Rp)"))

    class Meta:
        verbose_name = _("baris pesanan")
        verbose_name_plural = pgettext_lazy("jamak", "baris pesanan")
        ordering = ["product_name"]

    def __str__(self):
        return f"{self.product_name} × {self.quantity}"


class RequestStatus(models.TextChoices):
    SENT = "terkirim", _("Menunggu konfirmasi desa")
    WITHDRAWN = "ditarik", _("Ditarik pembeli")


class OrderRequest(SyncedRecord):
    """An outside buyer's order request, made on the upstream's province market. Owned by the
    upstream; synced down to the seller's village only. The village answers with an
    :class:`Order` (accepted) or a cancelled one with a reason (declined): nothing is promised to
    the buyer before that answer comes back up."""

    # sealed in backups (hub.core.backup), erased by the retention (marketplace.services)
    personal_fields = ("buyer_name", "buyer_phone", "buyer_place", "delivery_address", "note")

    bumdes = models.ForeignKey(
        Bumdes, verbose_name=_("BUMDes"), on_delete=models.PROTECT, related_name="requests"
    )
    code = models.CharField(_("kode permintaan"), max_length=12)
    buyer_name = models.CharField(_("nama pembeli"), max_length=120)
    buyer_phone = models.CharField(_("nomor HP"), max_length=16)
    buyer_place = models.CharField(_("asal pembeli"), max_length=200, blank=True)
    fulfilment = models.CharField(
        _("pengambilan"), max_length=10, choices=Fulfilment.choices, default=Fulfilment.PICKUP
    )
    delivery_address = models.CharField(_("alamat antar"), max_length=300, blank=True)
    note = models.CharField(_("catatan"), max_length=500, blank=True)
    # [{"product": uuid, "quantity": "2.5", "unit_price": 15000, "name": "…", "unit": "kg"}]
    lines = models.JSONField(_("barang"), default=list)
    total = models.PositiveBigIntegerField(_("perkiraan total (Rp)"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.SENT
    )
    requested_at = models.DateTimeField(_("waktu permintaan"), default=timezone.now)
    # HMAC of the buyer's address, for the rate limit; local to the upstream (never synced)
    client_key = models.CharField(max_length=64, blank=True, editable=False)
    # when the upstream erased the buyer's data (retention or the buyer's request); the erased
    # fields themselves travel down as the owner's change, this mark stays upstream
    anonymised_at = models.DateTimeField(_("data pembeli dihapus"), null=True, editable=False)

    class Meta:
        verbose_name = _("permintaan pesanan")
        verbose_name_plural = pgettext_lazy("jamak", "permintaan pesanan")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["origin", "code"], name="request_code_per_upstream")
        ]
        indexes = [
            models.Index(fields=["client_key", "requested_at"], name="request_client_time"),
            models.Index(fields=["buyer_phone", "requested_at"], name="request_phone_time"),
        ]

    def __str__(self):
        return self.code

    def clean(self):
        super().clean()
        if not isinstance(self.lines, list) or not 1 <= len(self.lines) <= 20:
            raise ValidationError({"lines": _("Permintaan berisi 1 sampai 20 barang.")})
        for line in self.lines:
            if not isinstance(line, dict) or not {"product", "quantity"} <= set(line):
                raise ValidationError({"lines": _("Baris permintaan tidak lengkap.")})

    @property
    def village_code(self) -> str:
        return self.bumdes.origin if self.bumdes_id else ""

    @property
    def buyer_phone_masked(self) -> str:
        return phone_masked(self.buyer_phone)


class BuyerDataLog(models.Model):
    """Who saw a buyer's full data (an order's or request's page, a slip) or erased it, and
    when (UU 27/2022). Local to each hub, never synced; written by the admin views and
    ``marketplace.services.buyer_data_erase``, read by administrators in the admin."""

    class Action(models.TextChoices):
        DETAIL = "rincian", _("membuka rincian")
        SLIP = "slip", _("mencetak slip")
        ERASE = "hapus", _("menghapus data pembeli")
        RETENTION = "retensi", _("masa simpan habis")

    action = models.CharField(_("tindakan"), max_length=10, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pengguna"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.ForeignKey(Order, null=True, on_delete=models.SET_NULL, related_name="+")
    request = models.ForeignKey(
        OrderRequest, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # what was asked and done, never the data itself: codes, a masked phone, counts, the reason
    detail = models.CharField(_("keterangan"), max_length=500, blank=True)
    at = models.DateTimeField(_("waktu"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("log data pembeli")
        verbose_name_plural = _("log data pembeli")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"
