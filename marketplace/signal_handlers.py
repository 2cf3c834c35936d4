"""Signal handlers only enqueue work after the commit; they do none of it themselves. After
migrations: the schedules of buyer-data retention and of expiring unconfirmed orders."""

from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver
from modelsearch import index
from modelsearch.tasks import insert_or_update_object_task

from hub.core import pagecache
from hub.sync.registry import records_applied

from .models import Bumdes, Product, ProductCategory
from .tasks import schedules_ensure


def _schedules(sender, **kwargs):
    if sender.name == "marketplace":
        schedules_ensure()


post_migrate.connect(_schedules, weak=False, dispatch_uid="market-schedules")

# fields an order or a cancellation changes on a product: none of them is searched
STOCK_FIELDS = frozenset({"stock", "updated_at", "rev", "origin"})


# what the catalogue shows (stock included, so an order refreshes it), whether saved here or
# applied by the sync engine; orders and requests are on pages that are never cached
pagecache.invalidate_on_change(
    ProductCategory, Bumdes, Product, signals=(post_save, post_delete, records_applied)
)


@receiver(post_save, sender=Product)
def product_search_index(sender, instance, raw=False, update_fields=None, **kwargs):
    """Wagtail's own handler is off for products (``search_auto_update``): an order changes the
    stock of every product in it, and re-indexing each (on SQLite, title norms over the whole
    index) was a fifth of the time of placing an order for nothing the search looks at."""
    if raw or (update_fields is not None and set(update_fields) <= STOCK_FIELDS):
        return
    insert_or_update_object_task.enqueue(
        instance._meta.app_label, instance._meta.model_name, str(instance.pk)
    )


@receiver(post_delete, sender=Product)
def product_search_remove(sender, instance, **kwargs):
    index.remove_object(instance)
