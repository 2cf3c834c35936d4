"""Admin registration: the dashboard banner when the hub's disk is low (hub.core.disk)."""

from wagtail import hooks
from wagtail.admin.ui.components import Component

from .disk import CRITICAL, OK, disk_free_bytes, disk_level


class DiskPanel(Component):
    """Shown first on the dashboard while free space is below ``HUB_DISK_WARN_FREE_MB``."""

    name = "hub_disk"
    template_name = "core/admin/disk_panel.html"
    order = 1

    def __init__(self, free: int, level: str):
        self.free = free
        self.level = level

    def get_context_data(self, parent_context):
        return {"free": self.free, "critical": self.level == CRITICAL}


@hooks.register("construct_homepage_panels")
def add_disk_panel(request, panels):
    free = disk_free_bytes()
    level = disk_level(free)
    if level != OK:
        panels.insert(0, DiskPanel(free, level))
