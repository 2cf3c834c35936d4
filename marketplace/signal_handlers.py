"""Signal handlers only enqueue work after the commit; they do none of it themselves."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from hub.core import pagecache
from hub.sync.registry import records_applied

from .models import Bumdes, Order, OrderRequest, Product, ProductCategory


def _invalidate_pages_after_commit(**kwargs):
    transaction.on_commit(pagecache.invalidate)


# catalogue pages show stock, so an order (which saves its products) refreshes them too
for model in (ProductCategory, Bumdes, Product, Order, OrderRequest):
    post_save.connect(_invalidate_pages_after_commit, sender=model, weak=False)
    post_delete.connect(_invalidate_pages_after_commit, sender=model, weak=False)
    records_applied.connect(_invalidate_pages_after_commit, sender=model, weak=False)
