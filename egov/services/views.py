"""The villager's pages of service standards: browse and search, a service, what to bring.

Nothing here sets a cookie or carries a form with a CSRF token, so the anonymous page cache
keeps every page. The requirement checklist is plain checkboxes: ticking works in the browser
without JavaScript and nothing is sent or remembered on the server.
"""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from hub.core.pagecache import per_generation
from hub.core.ratelimit import has_query, rate_limit

from . import selectors
from .models import Category

PAGE_SIZE = 30
MAX_QUERY_LENGTH = 100


def query_from(request) -> tuple[str, str]:
    """The search words and an error when they are too long (then the words are cut)."""
    query = " ".join(request.GET.get("q", "").split())
    if len(query) > MAX_QUERY_LENGTH:
        return query[:MAX_QUERY_LENGTH], _(
            "Kata kunci terlalu panjang (paling banyak %(max)d huruf)."
        ) % {"max": MAX_QUERY_LENGTH}
    return query, ""


@require_safe
@rate_limit("search", when=has_query)
def index(request):
    query, error = query_from(request)
    category = request.GET.get("kategori", "")
    if category and category not in Category.values:
        raise Http404
    found = [] if error else selectors.services_list(category=category, query=query)
    items = Paginator(found, PAGE_SIZE).get_page(request.GET.get("halaman"))
    # translated once per page, not per row (get_category_display translates every choice)
    labels = {value: str(label) for value, label in Category.choices}
    for service in items:
        service.category_label = labels.get(service.category, service.category)
    context = {
        "items": items,
        "query": query,
        "error": error,
        "category": category,
        "category_label": Category(category).label if category else "",
        "categories": per_generation("egov-service-categories", selectors.categories_in_use),
    }
    return render(request, "egov_services/index.html", context, status=400 if error else 200)


def _service(pk):
    service = selectors.services_visible().filter(pk=pk).first()
    if service is None:
        raise Http404
    return service


@require_safe
def detail(request, pk):
    service = _service(pk)
    return render(
        request,
        "egov_services/service_standard.html",
        {"service": service},
    )


@require_safe
def bring_list(request, pk):
    return render(request, "egov_services/bring_list.html", {"service": _service(pk)})
