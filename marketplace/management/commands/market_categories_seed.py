"""Create the standard product categories on the upstream (once; running again changes nothing)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from hub.core.roles import is_upstream
from marketplace.models import ProductCategory

# (slug, Indonesian name, English name): the categories every province starts with; operators
# rename, reorder or add more in the upstream's admin, and this command never overwrites that.
STANDARD_CATEGORIES = (
    ("hasil-pertanian", "Hasil pertanian", "Farm produce"),
    ("perikanan", "Perikanan", "Fish and seafood"),
    ("peternakan", "Peternakan", "Livestock"),
    ("kerajinan", "Kerajinan", "Crafts"),
    ("makanan-olahan", "Makanan olahan", "Processed food"),
    ("jasa", "Jasa", "Services"),
)


class Command(BaseCommand):
    help = (
        "Create the standard product categories (hasil pertanian, perikanan, peternakan, "
        "kerajinan, makanan olahan, jasa) on the upstream, as upstream-owned records that sync "
        "down to the villages. A category whose slug exists already is left as it is."
    )

    def handle(self, *args, **options):
        if not is_upstream():
            raise CommandError(
                _(
                    "Kategori produk dibuat di server upstream (provinsi/kabupaten), bukan di hub "
                    "desa: desa menerimanya lewat sinkronisasi dan tidak dapat mengubahnya."
                )
            )
        code = settings.SYNC_NODE_CODE
        if not code:
            raise CommandError(
                _("Upstream belum punya kode wilayah: isi HUB_NODE_CODE (2 atau 4 angka).")
            )
        created = []
        with transaction.atomic():
            have = set(ProductCategory.objects.filter(origin=code).values_list("slug", flat=True))
            for order, (slug, name, name_en) in enumerate(STANDARD_CATEGORIES, start=1):
                if slug in have:
                    continue
                category = ProductCategory(
                    name=name, name_en=name_en, slug=slug, sort_order=order * 10
                )
                category.full_clean()
                category.save()
                created.append(slug)
        self.stdout.write(
            _("%(created)d kategori dibuat, %(kept)d sudah ada.")
            % {"created": len(created), "kept": len(STANDARD_CATEGORIES) - len(created)}
        )
