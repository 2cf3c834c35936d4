"""System checks for what breaks on a Pi: Pillow codecs, the data directory, disk space."""

import os
import shutil

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def pillow_codecs_check(app_configs, **kwargs):
    from PIL import features

    errors = []
    for codec, needed_for in (("webp", "WebP renditions"), ("jpg", "JPEG photos"), ("zlib", "PNG")):
        if not features.check(codec):
            errors.append(
                Error(
                    f"Pillow lacks the {codec} codec, needed for {needed_for}.",
                    hint="Install Pillow from its wheel (it bundles the codecs) or the -dev "
                    "packages before building it.",
                    id="balai.E001",
                )
            )
    return errors


@register()
def data_dir_check(app_configs, **kwargs):
    data_dir = settings.DATA_DIR
    if not data_dir.exists():
        return [
            Error(
                f"The data directory {data_dir} does not exist.",
                hint="Create it (scripts/run and Ansible do) or set HUB_DATA_DIR.",
                id="balai.E002",
            )
        ]
    if not os.access(data_dir, os.W_OK):
        return [
            Error(
                f"The data directory {data_dir} is not writable by this user.",
                id="balai.E003",
            )
        ]
    free = shutil.disk_usage(data_dir).free
    if free < settings.HUB_HEALTH_MIN_FREE_BYTES:
        return [
            Warning(
                f"Only {free // (1024 * 1024)} MB free in {data_dir}.",
                hint="Free space on the SD card: old backups, media renditions.",
                id="balai.W001",
            )
        ]
    return []


@register()
def region_list_check(app_configs, **kwargs):
    if not settings.HUB_REGION_LIST.exists():
        return [
            Error(
                f"The region code list {settings.HUB_REGION_LIST} is missing.",
                hint="It ships in hub/core/data; HUB_REGION_LIST may name a newer one.",
                id="balai.E004",
            )
        ]
    return []
