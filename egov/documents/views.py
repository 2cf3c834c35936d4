"""Pages of legal documents: the villagers' list, search and document page, the PDF, and on
the upstream the kabupaten's list of its villages' Perdes and the JDIH-compatible feed.

List and document pages set no cookie, so the anonymous page cache keeps them. The PDF is
served with HTTP Range (``hub.media.ranges``), so a reader can fetch the pages it shows.
"""

from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from egov.services.views import query_from
from hub.core.pagecache import per_generation
from hub.core.regions import REGION_PREFIX_RE, region_names
from hub.core.roles import is_upstream
from hub.media.ranges import ranged_file_response

from . import selectors
from .models import Kind, LegalDocument, Status

PAGE_SIZE = 30
FEED_LIMIT = 5000


def _year_from(request) -> int | None:
    raw = request.GET.get("tahun", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) != 4:
        raise Http404
    return int(raw)


@require_safe
def index(request):
    query, error = query_from(request)
    kind = request.GET.get("jenis", "")
    if kind and kind not in Kind.values:
        raise Http404
    year = _year_from(request)
    found = [] if error else selectors.documents_list(kind=kind, year=year, query=query)
    items = Paginator(found, PAGE_SIZE).get_page(request.GET.get("halaman"))
    _label(items)
    context = {
        "items": items,
        "query": query,
        "error": error,
        "kind": kind,
        "kind_label": Kind(kind).label if kind else "",
        "year": year,
        "kinds": per_generation("egov-document-kinds", selectors.kinds_in_use),
        "years": per_generation("egov-document-years", selectors.years_in_use),
        "filter_query": _filter_query(kind, year),
    }
    return render(request, "egov_documents/index.html", context, status=400 if error else 200)


def _label(documents) -> None:
    """Each row's kind and status names, translated once per page: ``get_kind_display`` makes
    every choice label hashable (translating all of them) on every call, a third of a list
    page's time."""
    kinds = {value: str(label) for value, label in Kind.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    for document in documents:
        document.kind_label = kinds.get(document.kind, document.kind)
        document.status_label = statuses.get(document.status, document.status)


def _filter_query(kind: str, year: int | None) -> str:
    parts = []
    if kind:
        parts.append(f"jenis={kind}")
    if year:
        parts.append(f"tahun={year}")
    return "&".join(parts)


@require_safe
def detail(request, pk):
    document = selectors.document_detail(pk)
    if document is None:
        raise Http404
    return render(request, "egov_documents/legal_document.html", {"document": document})


def pdf_response(request, document: LegalDocument):
    """The document's PDF, shown inline, answering ``Range`` (a phone's PDF reader fetches the
    pages it shows instead of the whole 5 MB file)."""
    response = ranged_file_response(
        request,
        document.pdf.path,
        content_type="application/pdf",
        filename=f"{document.kind}-{document.number}-{document.year}.pdf".replace("/", "-"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def pdf(request, pk):
    document = LegalDocument.objects.filter(published=True, pk=pk).exclude(pdf="").first()
    if document is None or not document.pdf.storage.exists(document.pdf.name):
        raise Http404
    return pdf_response(request, document)


def _region_from(request) -> str:
    """The ``wilayah`` asked for on the upstream: a code prefix (default: all it serves)."""
    if not is_upstream():
        raise Http404
    region = request.GET.get("wilayah", "")
    if region and not REGION_PREFIX_RE.match(region):
        raise Http404
    return region


@require_safe
def region_list(request):
    """The upstream's list of its villages' regulations (Perdes, Perkades …), by village."""
    region = _region_from(request)
    found = selectors.region_documents(region=region, village_regulations_only=True).only(
        *selectors.LIST_FIELDS
    )
    items = Paginator(found, 100).get_page(request.GET.get("halaman"))
    names = region_names({d.origin for d in items})
    _label(items)
    for document in items:
        document.village_name = names.get(document.origin, document.origin)
    return render(
        request,
        "egov_documents/region_list.html",
        {"items": items, "region": region, "region_name": region_names([region]).get(region, "")},
    )


def jdih_entry(document: LegalDocument, base: str) -> dict:
    """One document in the JDIHN integration shape (the fields JDIH members' ``integrasi``
    endpoints publish); our own extras: ``kodeWilayah`` and ``sha256``."""
    detail = f"{base}/produk-hukum/{document.pk}/"
    return {
        "idData": str(document.pk),
        "tahun_pengundangan": str(document.year),
        "tanggal_penetapan": document.enacted_on.isoformat(),
        "tanggal_pengundangan": (
            document.promulgated_on.isoformat() if document.promulgated_on else ""
        ),
        "jenis": document.get_kind_display(),
        "singkatanJenis": document.kind.upper(),
        "noPeraturan": document.number,
        "judul": document.title,
        "abstrak": document.abstract,
        "tempatTerbit": document.place_enacted,
        "penerbit": document.publisher,
        "teuBadan": document.publisher,
        "penandatangan": document.signer,
        "sumber": document.source,
        "subjek": document.subject,
        "bidangHukum": document.legal_field,
        "status": document.get_status_display(),
        "bahasa": document.language,
        "fileDownload": f"{document.pdf_sha256}.pdf" if document.pdf else "",
        "urlDownload": f"{detail}pdf/" if document.pdf else "",
        "urlDetailPeraturan": detail,
        "kodeWilayah": document.origin,
        "sha256": document.pdf_sha256,
    }


@require_safe
def jdih_feed(request):
    """The villages' documents of ``wilayah`` as a JSON list a JDIH portal can harvest."""
    region = _region_from(request)
    found = selectors.region_documents(region=region)[:FEED_LIMIT]
    base = request.build_absolute_uri("/").rstrip("/")
    return JsonResponse(
        [jdih_entry(d, base) for d in found],
        safe=False,
        json_dumps_params={"ensure_ascii": False},
    )
