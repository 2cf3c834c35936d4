"""Reads of service standards: what villagers browse and search."""

from django.db.models import Q

from .models import Category, ServiceStandard


def services_visible():
    """Services shown to villagers, with their office."""
    return ServiceStandard.objects.filter(active=True).select_related("office")


def services_exist() -> bool:
    return ServiceStandard.objects.filter(active=True).exists()


def services_list(*, category: str = "", query: str = ""):
    """Active services, optionally of one category and matching ``query`` in the title,
    summary or requirements (every word must match somewhere). Cards only: title, category,
    summary, cost."""
    found = ServiceStandard.objects.filter(active=True)
    if category:
        found = found.filter(category=category)
    for word in query.split()[:8]:
        found = found.filter(
            Q(title__icontains=word) | Q(summary__icontains=word) | Q(requirements__icontains=word)
        )
    return found.only("id", "title", "category", "summary", "free_of_charge", "cost", "duration")


def categories_in_use() -> list[tuple[str, str]]:
    """(value, label) of the categories that have an active service, in the usual order."""
    used = set(
        ServiceStandard.objects.filter(active=True).values_list("category", flat=True).distinct()
    )
    return [(value, label) for value, label in Category.choices if value in used]
