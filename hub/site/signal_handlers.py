"""Signal handlers only enqueue work after the commit; they do none of it themselves."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished

from hub.core import pagecache
from hub.sync.registry import records_applied

from .models import VIEW_RESTRICTIONS_MEMO, AgendaItem, Announcement, VillageSettings

# what villager pages show; announcements and agenda items also come from the upstream, written
# in bulk by the sync engine (records_applied, no post_save)
pagecache.invalidate_on_change(
    Announcement, AgendaItem, signals=(post_save, post_delete, records_applied)
)
pagecache.invalidate_on_change(VillageSettings)
pagecache.invalidate_on_change(signals=(page_published, page_unpublished))
# what Wagtail routes by (hub.core.middleware.WagtailSiteMiddleware remembers the sites) and
# who may see a page (VillagePageMixin remembers whether any page is restricted): a restricted
# page must leave the anonymous cache at once, not when its entry times out
pagecache.invalidate_on_change(Site, PageViewRestriction)


@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
def view_restriction_changed(sender, **kwargs):
    # this process asks again at once (the rest of the request that made the change, say the
    # admin's privacy answer, sees it); the other processes when the generation moves
    pagecache.forget(VIEW_RESTRICTIONS_MEMO)
