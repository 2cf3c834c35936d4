"""System checks for what breaks on a Pi: the data directory, disk space, the region list, the
field-encryption key. Pillow's codecs are checked by :mod:`hub.media.checks`."""

import ipaddress
import os
import shutil

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Warning, register

from .fieldkeys import FieldKeyError, keyring
from .fields import encrypted_fields_of


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


@register()
def field_key_check(app_configs, **kwargs):
    """A model with an encrypted field needs a readable key file: say so at startup, not at the
    first villager whose request cannot be saved."""
    configs = app_configs if app_configs is not None else apps.get_app_configs()
    users = [
        f"{model._meta.label}.{field.name}"
        for config in configs
        for model in config.get_models()
        for field in encrypted_fields_of(model)
    ]
    if not users:
        return []
    try:
        keyring()
    except FieldKeyError as exc:
        return [
            Error(
                str(exc),
                hint=f"Encrypted fields: {', '.join(users[:5])}. Set HUB_FIELD_KEY_FILE to the "
                "hub's key file.",
                id="balai.E010",
            )
        ]
    return []


@register(deploy=True)
def https_mode_check(app_configs, **kwargs):
    """With ``HUB_HTTPS=auto`` Django's own secure-cookie and redirect checks are silenced
    (hub/settings/base.py): the middleware that replaces them must be in place, and the hub must
    be behind nginx, which redirects and says which requests came over HTTPS."""
    if settings.HUB_HTTPS_MODE != "auto":
        return []
    errors = []
    for name in ("hub.core.https.ProxyHeadersMiddleware", "hub.core.https.SecureCookiesMiddleware"):
        if name not in settings.MIDDLEWARE:
            errors.append(
                Error(
                    f"HUB_HTTPS=auto needs {name} in MIDDLEWARE.",
                    hint="Cookies on HTTPS answers would not be Secure.",
                    id="balai.E020",
                )
            )
    if not settings.HUB_BEHIND_PROXY:
        errors.append(
            Warning(
                "HUB_HTTPS=auto without HUB_BEHIND_PROXY: nothing redirects to HTTPS and no "
                "request is seen as HTTPS.",
                hint="auto is for a hub behind its nginx (Ansible's hub_nginx); use 1 or 0.",
                id="balai.W020",
            )
        )
    return errors


@register()
def abuse_limits_check(app_configs, **kwargs):
    """The health-detail addresses parse, the disk warning comes before the critical level, and
    every villager-facing rate limit is a positive (requests, seconds) pair."""
    errors = []
    for entry in settings.HUB_HEALTH_DETAIL_ADDRESSES:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"HUB_HEALTH_DETAIL_ADDRESSES has {entry!r}, which is not an address or "
                    "network.",
                    hint="Give addresses or CIDR networks, comma-separated (10.0.0.5,10.1.0.0/24).",
                    id="balai.E030",
                )
            )
    if settings.HUB_DISK_WARN_FREE_BYTES < settings.HUB_HEALTH_MIN_FREE_BYTES:
        errors.append(
            Warning(
                "HUB_DISK_WARN_FREE_MB is below HUB_HEALTH_MIN_FREE_MB: the admin is not warned "
                "before the hub starts refusing orders and uploads.",
                id="balai.W030",
            )
        )
    for scope, limit in settings.HUB_RATE_LIMITS.items():
        requests, seconds = limit
        if requests < 1 or seconds < 1:
            errors.append(
                Error(
                    f"The {scope!r} rate limit ({requests} per {seconds} s) must be at least 1 "
                    "request per at least 1 second.",
                    id="balai.E031",
                )
            )
    return errors
