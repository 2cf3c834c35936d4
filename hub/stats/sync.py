"""What syncs: a village's statistics go up (the default audience of village-owned records)."""

from hub.sync.registry import register

from .models import StatSeries


def register_synced_models():
    register(StatSeries, owner="village")
