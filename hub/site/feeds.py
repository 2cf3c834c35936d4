"""Atom and RSS feeds of the village announcements."""

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from wagtail.rich_text import expand_db_html

from .models import VillageSettings
from .selectors import announcements_visible


class AnnouncementAtomFeed(Feed):
    feed_type = Atom1Feed

    def __init__(self, index_page):
        super().__init__()
        self.index_page = index_page

    def title(self):
        return _("Pengumuman %(village)s") % {"village": VillageSettings.load().display_name}

    def link(self):
        return self.index_page.url

    def subtitle(self):
        return _("Pengumuman terbaru dari hub desa")

    description = subtitle

    def items(self):
        return announcements_visible()[:30]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return Truncator(strip_tags(expand_db_html(item.body))).words(60)

    def item_link(self, item):
        return f"{self.index_page.url}{item.url_part}/"

    def item_guid(self, item):
        return f"urn:uuid:{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.publish_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.get_category_display()]


class AnnouncementRssFeed(AnnouncementAtomFeed):
    feed_type = Rss201rev2Feed
