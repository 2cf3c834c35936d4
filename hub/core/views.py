"""Machine endpoints shared by both roles."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, JsonResponse
from django.utils._os import safe_join
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from hub.media.ranges import ranged_file_response

from .clients import client_address
from .health import health_report
from .ratelimit import address_in

# media whose file names carry their content's hash: renditions, and e-learning media stored by
# SHA-256; they never change under their name
IMMUTABLE_MEDIA_PREFIXES = ("images/", "belajar/")
# uploaded originals: villager pages show renditions only; the original is for the admin (the
# nginx role answers 404 for it, hub_nginx's balai.conf)
ORIGINAL_IMAGES_DIR = "original_images"


@never_cache
@require_safe
def healthz(request):
    """200 when the hub can serve, 503 when not. The JSON report's figures (database, disk,
    queue) go to loopback callers (the hub itself, Ansible's hub_health through the local nginx)
    and to ``HUB_HEALTH_DETAIL_ADDRESSES`` (monitoring); anyone else on the village Wi-Fi gets
    ``{"status": ...}`` only."""
    ok, report = health_report()
    if not address_in(client_address(request), settings.HUB_HEALTH_DETAIL_ADDRESSES):
        report = {"status": report["status"]}
    return JsonResponse(report, status=200 if ok else 503)


@require_safe
def media(request, path):
    """Media files when no nginx is in front, with HTTP Range (video and audio seek on phones;
    ``hub.media.ranges``). A path that leaves MEDIA_ROOT, a directory or a missing file is a
    404. Rendition and e-learning media names carry a hash, so they may be cached long.
    Uploaded originals (``original_images/``) are served only to users of the admin, never
    cached: villager pages show renditions, and a villager gets the same 404 as for a missing
    file."""
    try:
        full = Path(safe_join(settings.MEDIA_ROOT, path))
    except SuspiciousFileOperation as exc:
        raise Http404("not found") from exc
    if "\x00" in path or not full.is_file():
        raise Http404("not found")
    # the resolved path decides, whatever spelling (./, //, ..) the request used
    relative = full.relative_to(Path(safe_join(settings.MEDIA_ROOT, "")))
    original = relative.parts[0] == ORIGINAL_IMAGES_DIR
    if original and not request.user.has_perm("wagtailadmin.access_admin"):
        raise Http404("not found")
    response = ranged_file_response(request, full)
    if original:
        response["Cache-Control"] = "private, no-store"
    elif path.startswith(IMMUTABLE_MEDIA_PREFIXES):
        response["Cache-Control"] = "public, max-age=2592000, immutable"
    return response
