"""The village site: identity and settings, pages, announcements, agenda."""

import uuid

from anyascii import anyascii
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpResponsePermanentRedirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.fields import RichTextField, StreamField
from wagtail.images.blocks import ImageBlock
from wagtail.models import Page, PageViewRestriction
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin

from hub.core import pagecache
from hub.core.regions import format_village_code
from hub.sync.records import SyncedRecord

from .richtext import clean_rich_text

PAGE_SIZE = 10
# A notice's link is ``<slug>-<short id>/``: readable when shared on WhatsApp, stable when the
# title changes (the short id finds the record; a stale slug redirects). Ten hex digits of a
# random UUID are 40 bits: a village would need about a million notices for one clash in a
# thousand, and a clash still resolves by the slug.
SHORT_ID_LENGTH = 10
NOTICE_SLUG_MAX = 60
UUID_PATTERN = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NOTICE_LINK_PATTERN = rf"^(?:(?P<slug>[a-z0-9-]*?)-)?(?P<short>[0-9a-f]{{{SHORT_ID_LENGTH}}})/$"


class VillageCodePanel(FieldPanel):
    """Shows the stored ten digits the way they are written: PP.KK.CC.DDDD."""

    def format_value_for_display(self, value):
        return format_village_code(value) if value else "—"


@register_setting(icon="home")
class VillageSettings(BaseGenericSetting):
    """Who this hub is and how villagers reach the village office.

    The village code and official names are set once by the operator (``manage.py
    village_set_code``) and read-only here, because every synced record carries the code as its
    origin. Address, contact and logo are edited by village officials with the settings
    permission. Not synced yet.
    """

    village_code = models.CharField(_("kode desa"), max_length=10, blank=True, editable=False)
    village_name = models.CharField(_("nama desa"), max_length=120, blank=True, editable=False)
    village_kind = models.CharField(_("jenis"), max_length=10, blank=True, editable=False)
    kecamatan_name = models.CharField(_("kecamatan"), max_length=120, blank=True, editable=False)
    kabupaten_name = models.CharField(
        _("kabupaten/kota"), max_length=120, blank=True, editable=False
    )
    province_name = models.CharField(_("provinsi"), max_length=120, blank=True, editable=False)
    code_from_list = models.BooleanField(_("kode dari daftar resmi"), default=True, editable=False)

    address = models.TextField(_("alamat kantor desa"), blank=True)
    phone = models.CharField(_("telepon"), max_length=30, blank=True)
    whatsapp = models.CharField(_("WhatsApp"), max_length=30, blank=True)
    email = models.EmailField(_("surel"), blank=True)
    office_hours = models.CharField(_("jam pelayanan"), max_length=120, blank=True)
    logo = models.ForeignKey(
        settings.WAGTAILIMAGES_IMAGE_MODEL,
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    panels = [
        MultiFieldPanel(
            [
                VillageCodePanel("village_code", read_only=True),
                FieldPanel("village_name", read_only=True),
                FieldPanel("kecamatan_name", read_only=True),
                FieldPanel("kabupaten_name", read_only=True),
                FieldPanel("province_name", read_only=True),
            ],
            heading=_("Identitas desa (diatur operator)"),
            help_text=_(
                "Kode desa Kemendagri dipasang sekali oleh operator dan tidak dapat diubah di sini."
            ),
        ),
        MultiFieldPanel(
            [
                FieldPanel("address"),
                FieldPanel("phone"),
                FieldPanel("whatsapp"),
                FieldPanel("email"),
                FieldPanel("office_hours"),
                FieldPanel("logo"),
            ],
            heading=_("Kontak"),
        ),
    ]

    class Meta:
        verbose_name = _("pengaturan desa")

    @property
    def village_code_display(self) -> str:
        return format_village_code(self.village_code) if self.village_code else "—"

    @property
    def display_name(self) -> str:
        if not self.village_name:
            return settings.WAGTAIL_SITE_NAME
        if self.village_kind == "kelurahan":
            return _("Kelurahan %(name)s") % {"name": self.village_name}
        return _("Desa %(name)s") % {"name": self.village_name}


class Category(models.TextChoices):
    UMUM = "umum", _("Umum")
    PEMERINTAHAN = "pemerintahan", _("Pemerintahan")
    KESEHATAN = "kesehatan", _("Kesehatan")
    PERTANIAN = "pertanian", _("Pertanian")
    PENDIDIKAN = "pendidikan", _("Pendidikan")
    BENCANA = "bencana", _("Bencana dan keamanan")
    EKONOMI = "ekonomi", _("Ekonomi dan BUMDes")
    SOSIAL = "sosial", _("Sosial dan budaya")


CATEGORY_LABELS = dict(Category.choices)


class VisibleQuerySet(SearchableQuerySetMixin, models.QuerySet):
    def visible(self, now=None):
        """Published (publish time reached) and not expired."""
        now = now or timezone.now()
        return self.filter(publish_at__lte=now).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class VillageNotice(index.Indexed, SyncedRecord):
    """Fields shared by announcements and agenda items. Both are synced records: a village's own
    go up to the upstream; the upstream's (province or kabupaten notices) come down to the
    villages of its region. Only the origin edits one."""

    title = models.CharField(_("judul"), max_length=200)
    body = RichTextField(_("isi"), blank=True)
    image = models.ForeignKey(
        settings.WAGTAILIMAGES_IMAGE_MODEL,
        verbose_name=_("gambar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    category = models.CharField(
        _("kategori"), max_length=20, choices=Category.choices, default=Category.UMUM
    )
    publish_at = models.DateTimeField(_("terbit mulai"), default=timezone.now)
    expires_at = models.DateTimeField(
        _("berakhir"),
        null=True,
        blank=True,
        help_text=_("Kosongkan bila tidak berakhir."),
    )
    pinned = models.BooleanField(_("disematkan"), default=False, help_text=_("Tampil paling atas."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisibleQuerySet.as_manager()

    search_fields = [
        index.SearchField("title", boost=2),
        index.AutocompleteField("title"),
        index.SearchField("body"),
        index.FilterField("publish_at"),
        index.FilterField("expires_at"),
        index.FilterField("category"),
    ]

    class Meta:
        abstract = True

    def __str__(self):
        return self.title

    # one writer per record: a notice from the province or kabupaten is changed there
    origin_guard_message = _("Pengumuman ini dari %(origin)s dan hanya dapat diubah di sana.")

    def clean(self):
        super().clean()
        self.body = clean_rich_text(self.body)
        if self.expires_at and self.publish_at and self.expires_at <= self.publish_at:
            raise ValidationError({"expires_at": _("Waktu berakhir harus sesudah waktu terbit.")})

    def is_visible(self, now=None) -> bool:
        now = now or timezone.now()
        return self.publish_at <= now and (self.expires_at is None or self.expires_at > now)

    @property
    def category_label(self) -> str:
        """The category's name in the active language. One translation, where
        ``get_category_display`` translates every choice to find it (eight, on each card)."""
        return CATEGORY_LABELS.get(self.category, self.category)

    @property
    def link_slug(self) -> str:
        """The title as ASCII words joined by hyphens (``rapat-desa-2026``), cut at a word."""
        slug = slugify(anyascii(self.title or ""))[:NOTICE_SLUG_MAX]
        if len(slug) == NOTICE_SLUG_MAX and "-" in slug:
            slug = slug.rsplit("-", 1)[0]
        return slug.strip("-")

    @property
    def url_part(self) -> str:
        """The notice's part of its link under the index page: ``<slug>-<short id>``."""
        short = self.pk.hex[:SHORT_ID_LENGTH]
        slug = self.link_slug
        return f"{slug}-{short}" if slug else short


def notice_by_link(queryset, short: str, slug: str | None):
    """The notice a ``<slug>-<short id>`` link names, from ``queryset``, or None. The short id
    is a prefix of the UUID, looked up as a range of the primary key so the index serves it on
    SQLite (hex text) and PostgreSQL (uuid) alike; a clash is settled by the slug."""
    low = uuid.UUID(short.ljust(32, "0"))
    high = uuid.UUID(short.ljust(32, "f"))
    found = list(queryset.filter(pk__gte=low, pk__lte=high)[:5])
    for notice in found:
        if notice.link_slug == (slug or ""):
            return notice
    return found[0] if found else None


def notice_detail_or_redirect(page, queryset, *, short: str, slug: str | None):
    """The notice a link names and None, or (None, a permanent redirect) when the link is not
    the notice's current one (an old UUID link or a changed title)."""
    notice = notice_by_link(queryset, short, slug)
    if notice is None:
        raise Http404
    if notice.url_part != (f"{slug}-{short}" if slug else short):
        return None, HttpResponsePermanentRedirect(f"{page.url}{notice.url_part}/")
    return notice, None


def notice_uuid_redirect(page, queryset, pk: str):
    """A permanent redirect from a notice's old ``<uuid>/`` link to its readable one."""
    notice = queryset.filter(pk=pk).first()
    if notice is None:
        raise Http404
    return HttpResponsePermanentRedirect(f"{page.url}{notice.url_part}/")


class Announcement(VillageNotice):
    """A village announcement (pengumuman). Edited by village officials as a snippet; shown on
    the home page and the announcement index. Synced (see :class:`VillageNotice`)."""

    class Meta:
        verbose_name = _("pengumuman")
        verbose_name_plural = _("pengumuman")
        ordering = ["-pinned", "-publish_at"]
        indexes = [models.Index(fields=["-pinned", "-publish_at"], name="announcement_order")]

    def get_absolute_url(self):
        index_page = AnnouncementIndexPage.objects.live().first()
        return f"{index_page.url}{self.url_part}/" if index_page else ""


class AgendaItem(VillageNotice):
    """A village event (kegiatan) with start, end and place. Edited by village officials as a
    snippet; shown on the home page and the agenda. Synced (see :class:`VillageNotice`)."""

    starts_at = models.DateTimeField(_("mulai"))
    ends_at = models.DateTimeField(_("selesai"), null=True, blank=True)
    place = models.CharField(_("tempat"), max_length=200, blank=True)

    search_fields = VillageNotice.search_fields + [
        index.SearchField("place"),
        index.FilterField("starts_at"),
        index.FilterField("ends_at"),
    ]

    class Meta:
        verbose_name = _("kegiatan")
        verbose_name_plural = _("agenda kegiatan")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["starts_at"], name="agenda_start")]

    def get_absolute_url(self):
        index_page = AgendaIndexPage.objects.live().first()
        return f"{index_page.url}{self.url_part}/" if index_page else ""

    def clean(self):
        super().clean()
        if self.ends_at and self.starts_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": _("Waktu selesai tidak boleh sebelum mulai.")})


VIEW_RESTRICTIONS_MEMO = "view_restrictions_exist"


class VillagePageMixin:
    """For the site's page classes: whether a page is private is asked of the database only
    when some page is.

    Wagtail checks every page it serves for view restrictions (a private page, a password):
    two queries on every request, on a hub whose pages are almost always all public. Whether
    any restriction exists at all is remembered per page-cache generation, which every change
    of a restriction moves (``hub.site.signal_handlers``); while none exists a page has none.
    """

    def get_view_restrictions(self):
        if not pagecache.per_generation(VIEW_RESTRICTIONS_MEMO, _view_restrictions_exist):
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()


def _view_restrictions_exist() -> bool:
    return PageViewRestriction.objects.exists()


class HomePage(VillagePageMixin, Page):
    """The village home page (beranda): name, intro, latest announcements, upcoming agenda and
    entries to Pasar, Layanan and Belajar. Edited by village officials. Not synced."""

    intro = RichTextField(_("pengantar"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("beranda")

    def get_context(self, request, *args, **kwargs):
        from .entries import home_entries
        from .selectors import home_agenda, home_announcements

        context = super().get_context(request, *args, **kwargs)
        context["announcements"] = home_announcements(limit=5)
        context["agenda"] = home_agenda(limit=3)
        context["entries"] = home_entries()
        context.update(pagecache.per_generation("home_notice_indexes", _notice_indexes))
        return context


def _notice_indexes() -> dict:
    """The announcement and agenda pages and the start of their notices' links (what every
    card of the home page links under)."""
    announcements = AnnouncementIndexPage.objects.live().first()
    agenda = AgendaIndexPage.objects.live().first()
    return {
        "announcement_index": announcements,
        "announcement_base": announcements.url if announcements else "",
        "agenda_index": agenda,
        "agenda_base": agenda.url if agenda else "",
    }


class AnnouncementIndexPage(VillagePageMixin, RoutablePageMixin, Page):
    """The list of announcements with pagination, category filter and Atom/RSS feeds; also
    serves each announcement at ``<slug>-<short id>/`` (old ``<uuid>/`` links redirect).
    Edited by village officials. Not synced."""

    intro = RichTextField(_("pengantar"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["site.HomePage"]
    subpage_types: list[str] = []
    max_count = 1

    class Meta:
        verbose_name = _("daftar pengumuman")

    @path("")
    def index_route(self, request):
        from .selectors import announcements_visible

        category = request.GET.get("kategori", "")
        queryset = announcements_visible()
        if category in Category.values:
            queryset = queryset.filter(category=category)
        else:
            category = ""
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("halaman"))
        return self.render(
            request,
            context_overrides={
                "items": page,
                "category": category,
                "categories": Category.choices,
            },
        )

    @re_path(NOTICE_LINK_PATTERN)
    def detail_route(self, request, short, slug=None):
        from .selectors import announcements_visible

        announcement, redirect = notice_detail_or_redirect(
            self, announcements_visible(), short=short, slug=slug
        )
        if redirect:
            return redirect
        return self.render(
            request,
            context_overrides={"announcement": announcement},
            template="site/announcement_detail.html",
        )

    @re_path(rf"^(?P<pk>{UUID_PATTERN})/$")
    def uuid_route(self, request, pk):
        """Links shared before readable links existed: a permanent redirect to today's."""
        from .selectors import announcements_visible

        return notice_uuid_redirect(self, announcements_visible(), pk)

    @path("feed/")
    def atom_route(self, request):
        from .feeds import AnnouncementAtomFeed

        return AnnouncementAtomFeed(self)(request)

    @path("rss/")
    def rss_route(self, request):
        from .feeds import AnnouncementRssFeed

        return AnnouncementRssFeed(self)(request)


class AgendaIndexPage(VillagePageMixin, RoutablePageMixin, Page):
    """The agenda: upcoming events, past events, and each event at ``<slug>-<short id>/``.
    Edited by village officials. Not synced."""

    intro = RichTextField(_("pengantar"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["site.HomePage"]
    subpage_types: list[str] = []
    max_count = 1

    class Meta:
        verbose_name = _("agenda kegiatan")

    def _list(self, request, queryset, past: bool):
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("halaman"))
        return self.render(request, context_overrides={"items": page, "past": past})

    @path("")
    def index_route(self, request):
        from .selectors import agenda_upcoming

        return self._list(request, agenda_upcoming(), past=False)

    @path("lampau/")
    def past_route(self, request):
        from .selectors import agenda_past

        return self._list(request, agenda_past(), past=True)

    @re_path(NOTICE_LINK_PATTERN)
    def detail_route(self, request, short, slug=None):
        item, redirect = notice_detail_or_redirect(
            self, AgendaItem.objects.visible(), short=short, slug=slug
        )
        if redirect:
            return redirect
        return self.render(
            request, context_overrides={"item": item}, template="site/agenda_detail.html"
        )

    @re_path(rf"^(?P<pk>{UUID_PATTERN})/$")
    def uuid_route(self, request, pk):
        """Links shared before readable links existed: a permanent redirect to today's."""
        return notice_uuid_redirect(self, AgendaItem.objects.visible(), pk)


class OfficialBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("nama"), max_length=120)
    position = blocks.CharBlock(label=_("jabatan"), max_length=120)
    photo = ImageBlock(label=_("foto"), required=False)

    class Meta:
        icon = "user"
        template = "site/blocks/official.html"


class ProfilePage(VillagePageMixin, Page):
    """The village profile (profil desa): history, maps, figures, the list of officials.
    Edited by village officials. Not synced."""

    body = StreamField(
        [
            ("text", blocks.RichTextBlock(label=_("teks"))),
            ("image", ImageBlock(label=_("gambar"))),
            ("table", TableBlock(label=_("tabel"))),
            (
                "officials",
                blocks.ListBlock(
                    OfficialBlock(),
                    label=_("perangkat desa"),
                    template="site/blocks/officials.html",
                ),
            ),
        ],
        verbose_name=_("isi"),
        blank=True,
    )

    content_panels = Page.content_panels + [FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("body")]
    parent_page_types = ["site.HomePage"]
    subpage_types = ["site.ProfilePage"]

    class Meta:
        verbose_name = _("profil desa")

    @cached_property
    def has_table(self) -> bool:
        return any(block.block_type == "table" for block in self.body)
