"""Signal handlers only enqueue work after the commit; they do none of it themselves."""

from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from hub.core import pagecache
from hub.sync.registry import records_applied

from .models import AgendaItem, Announcement, VillageSettings

# what villager pages show; announcements and agenda items also come from the upstream, written
# in bulk by the sync engine (records_applied, no post_save)
pagecache.invalidate_on_change(
    Announcement, AgendaItem, signals=(post_save, post_delete, records_applied)
)
pagecache.invalidate_on_change(VillageSettings)
pagecache.invalidate_on_change(signals=(page_published, page_unpublished))
