"""Reads of legal documents: the villagers' list and search, the upstream's overview."""

from django.db.models import Q

from .models import VILLAGE_REGULATION_KINDS, Kind, LegalDocument

LIST_FIELDS = ("id", "kind", "number", "year", "title", "status", "enacted_on", "origin")


def documents_exist() -> bool:
    return LegalDocument.objects.filter(published=True).exists()


def documents_list(*, kind: str = "", year: int | None = None, query: str = ""):
    """Published documents, newest first, optionally of one kind and year and matching
    ``query`` in the title, number or abstract (every word somewhere)."""
    found = LegalDocument.objects.filter(published=True)
    if kind:
        found = found.filter(kind=kind)
    if year:
        found = found.filter(year=year)
    for word in query.split()[:8]:
        found = found.filter(
            Q(title__icontains=word) | Q(number__icontains=word) | Q(abstract__icontains=word)
        )
    return found.only(*LIST_FIELDS)


def kinds_in_use() -> list[tuple[str, str]]:
    used = set(
        LegalDocument.objects.filter(published=True).values_list("kind", flat=True).distinct()
    )
    return [(value, label) for value, label in Kind.choices if value in used]


def years_in_use() -> list[int]:
    return list(
        LegalDocument.objects.filter(published=True)
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )


def document_detail(pk):
    """A published document with what its page shows (the document changing it, and those it
    changes), or None."""
    return (
        LegalDocument.objects.filter(published=True, pk=pk)
        .select_related("changed_by")
        .prefetch_related("changes")
        .first()
    )


def region_documents(*, region: str, village_regulations_only: bool = False):
    """Documents published by the villages of ``region`` (a code prefix), for the upstream."""
    found = LegalDocument.objects.filter(published=True, origin__startswith=region).filter(
        origin__regex=r"^[0-9]{10}$"
    )
    if village_regulations_only:
        found = found.filter(kind__in=VILLAGE_REGULATION_KINDS)
    return found.order_by("origin", "-year", "number")
