"""How service standards and offices sync (registered from ``ready()``; engine public API only).

Made on the upstream: down to ``region`` (a Kemendagri code prefix, e.g. one kabupaten), or to
the upstream's whole region when it is blank. A region outside the upstream's own is ignored
(the record stays within the owner's region). Made on a village: up only.
"""

from hub.core.regions import VILLAGE_CODE_RE
from hub.sync.registry import default_audience, register

from .models import Office, ServiceStandard


def region_audience(obj) -> str | None:
    """The record's own ``region`` when it narrows the owner's default audience."""
    default = default_audience(obj)
    if default is None or VILLAGE_CODE_RE.match(obj.origin or ""):
        return default
    if obj.region and obj.region.startswith(default):
        return obj.region
    return default


def register_synced_models():
    register(Office, owner="either", audience=region_audience)
    register(ServiceStandard, owner="either", audience=region_audience)
