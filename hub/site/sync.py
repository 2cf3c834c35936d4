"""How the site's records sync: announcements and agenda items, with their images as blobs
(``hub.media.sync.ImageAdapter``).

Registered from ``SiteConfig.ready()``; this module uses only the engine's public API.
"""

from hub.media.sync import ImageAdapter
from hub.sync.registry import register


def register_synced_models():
    from .models import AgendaItem, Announcement

    images = ImageAdapter()
    register(Announcement, owner="either", files={"image": images}, blob_priority=3)
    register(AgendaItem, owner="either", files={"image": images}, blob_priority=3)
