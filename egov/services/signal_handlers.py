"""Signal handlers only enqueue work after the commit; they do none of it themselves."""

from django.db.models.signals import post_delete, post_save

from hub.core import pagecache
from hub.sync.registry import records_applied

from .models import Office, ServiceStandard

# the /layanan/ pages and the home entry show both, whether saved here or applied by the sync
pagecache.invalidate_on_change(
    Office, ServiceStandard, signals=(post_save, post_delete, records_applied)
)
