"""The legal documents' Satu Data indicator: the village's own documents per month, by type."""

import datetime

import pytest

from egov.documents.models import Kind
from hub.stats.models import StatSeries
from hub.stats.services import stats_compute

pytestmark = pytest.mark.django_db


def test_only_the_villages_own_documents_of_the_month_are_counted(document_factory):
    # given two Perdes of the village enacted in January 2025, one hidden, one of December,
    # and a kabupaten regulation of the same January
    document_factory(number="1")
    document_factory(number="2", kind=Kind.PERKADES)
    document_factory(number="3", published=False)
    document_factory(number="4", enacted_on=datetime.date(2025, 12, 1))
    document_factory(upstream="1503", number="5", kind=Kind.PERBUP)
    # when January is computed (the job in February computes January and February)
    stats_compute(today=datetime.date(2025, 2, 3))
    # then January counts the village's two published documents, by type, and nothing else
    series = StatSeries.objects.get(indicator="produk_hukum.terbit", period="2025-01")
    assert series.values == [
        {"d": {"jenis": Kind.PERDES}, "v": 1},
        {"d": {"jenis": Kind.PERKADES}, "v": 1},
    ]
    assert not StatSeries.objects.filter(indicator="produk_hukum.terbit", period="2025-02")
