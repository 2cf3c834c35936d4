"""System checks for what breaks sync on a hub: no node key, a key others can read, no upstream
pinned, a synced model nobody registered, a link probe that would eat the quota."""

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

from hub.core.roles import is_upstream

from .models import SyncState
from .records import SyncedRecord
from .registry import spec_for
from .village.probe import probe_day_bytes
from .wire import keys

PROBE_DAY_LIMIT = 1_000_000


@register(Tags.models)
def check_synced_models_registered(app_configs, **kwargs):
    problems = []
    for model in apps.get_models():
        if issubclass(model, SyncedRecord) and spec_for(model) is None:
            problems.append(
                Error(
                    f"{model._meta.label} is a SyncedRecord but is not registered",
                    hint="call hub.sync.registry.register() from its AppConfig.ready()",
                    id="balai.sync.E001",
                )
            )
    return problems


@register("balai_deploy", deploy=True)
def check_node_key(app_configs, **kwargs):
    path = keys.key_path()
    if not path.exists():
        return [
            Warning(
                f"no node key at {path}",
                hint="run manage.py node_init (Ansible does it on provisioning)",
                id="balai.sync.W001",
            )
        ]
    if path.stat().st_mode & 0o077:
        return [Error(f"{path} is readable by others; chmod 600", id="balai.sync.E002")]
    if is_upstream() and not settings.SYNC_NODE_CODE:
        return [Error("HUB_NODE_CODE is not set on the upstream", id="balai.sync.E003")]
    return []


@register("balai_deploy", deploy=True)
def check_upstream_pinned(app_configs, **kwargs):
    """A village hub that has no upstream pinned never syncs; say so before it goes out."""
    if is_upstream():
        return []
    try:
        state = SyncState.objects.filter(pk=1).first()
    except DatabaseError:
        return []  # not migrated yet
    if state is None or not state.upstream_url or not state.upstream_key:
        return [
            Warning(
                "no upstream pinned: this hub will not sync",
                hint="manage.py upstream_set URL --code KODE --public-key ed25519:…",
                id="balai.sync.W002",
            )
        ]
    return []


@register("balai_deploy", deploy=True)
def check_probe_cost(app_configs, **kwargs):
    """Probing a dead link all day must stay cheap on a metered satellite quota."""
    if is_upstream():
        return []
    day = probe_day_bytes()
    if day <= PROBE_DAY_LIMIT:
        return []
    return [
        Warning(
            f"probing a dead link every {settings.SYNC_PROBE_INTERVAL} s can cost "
            f"{day / 1e6:.1f} MB a day",
            hint="set HUB_SYNC_PROBE_INTERVAL between 30 and 60 (seconds)",
            id="balai.sync.W010",
        )
    ]


@register()
def check_sync_protocol(app_configs, **kwargs):
    """HUB_SYNC_PROTOCOL picks the URL prefix and the signature scheme: only 1 and 2 exist."""
    if settings.SYNC_PROTOCOL not in (1, 2):
        return [
            Error(
                f"HUB_SYNC_PROTOCOL is {settings.SYNC_PROTOCOL!r}",
                hint="2 (RFC 9421 signatures, generations), or 1 towards an upstream not "
                "upgraded yet (docs/sync-protocol.md, section 5)",
                id="balai.sync.E005",
            )
        ]
    return []
