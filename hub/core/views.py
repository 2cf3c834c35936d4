"""Machine endpoints shared by both roles."""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.static import serve as static_serve

from .health import health_report


@never_cache
@require_safe
def healthz(request):
    """200 with a JSON report when the hub can serve, 503 with the same report when not."""
    ok, report = health_report()
    return JsonResponse(report, status=200 if ok else 503)


@require_safe
def media(request, path):
    """Media files when no nginx is in front. Rendition names carry a hash, so they may be
    cached long; originals are only linked from the admin."""
    response = static_serve(request, path, document_root=settings.MEDIA_ROOT)
    if path.startswith("images/"):
        response["Cache-Control"] = "public, max-age=2592000, immutable"
    return response
