"""Who this node is: its role and its code (the ``origin`` it writes on records it owns)."""

from django.conf import settings
from django.utils.module_loading import import_string

from hub.core import pagecache
from hub.core.regions import REGION_CODE_RE, VILLAGE_CODE_RE
from hub.core.roles import is_upstream


class NodeNotConfigured(Exception):
    pass


class EnrollmentError(ValueError):
    """A village code, an upstream URL or code, or a public key that is not one."""


def _village_code() -> str:
    return import_string(settings.SYNC_VILLAGE_CODE_FUNCTION)() or ""


def local_node_code() -> str:
    """The village code on a village hub, the region code (``HUB_NODE_CODE``) on the upstream.

    Read once per page-cache generation: setting the village code publishes a new generation.
    """
    if settings.SYNC_NODE_CODE:
        return settings.SYNC_NODE_CODE
    if is_upstream():
        return ""
    return pagecache.per_generation("sync-node-code", _village_code)


def require_node_code() -> str:
    code = local_node_code()
    if not is_upstream() and not VILLAGE_CODE_RE.match(code):
        raise NodeNotConfigured(
            "this hub has no village code yet: run `manage.py village_set_code KODE` first"
        )
    if is_upstream() and not REGION_CODE_RE.match(code):
        raise NodeNotConfigured(
            "the upstream needs HUB_NODE_CODE, its region code (2 digits for a province, "
            "4 for a kabupaten)"
        )
    return code


def upstream_region() -> str:
    """The region an upstream serves: its own code (a code prefix)."""
    return settings.SYNC_NODE_CODE


def audience_prefixes(village_code: str) -> list[str]:
    """Every audience a village belongs to: all, its province, kabupaten, kecamatan, itself."""
    return ["", village_code[:2], village_code[:4], village_code[:6], village_code]
