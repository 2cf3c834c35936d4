"""The letters' Satu Data indicators: requests per type and status, median days to a decision;
nothing personal in the figures."""

from datetime import timedelta

import pytest

from egov.letters.models import LetterRequest
from egov.letters.services import letter_request_reject, letter_request_submit
from hub.stats.models import StatSeries
from hub.stats.services import stats_compute

from .conftest import NIK, PHONE

pytestmark = pytest.mark.django_db


def test_requests_and_the_median_time_to_a_decision_become_series(
    submitted, official, sktm, applicant, sktm_values, uploads_for
):
    # given two SKTM requests, one decided (rejected) two and a half days after it came in
    second = letter_request_submit(
        letter_type=sktm, applicant=applicant, values=sktm_values, uploads=uploads_for(sktm)
    )
    letter_request_reject(request_id=second.pk, reason="Data belum lengkap", user=official)
    decided = LetterRequest.objects.get(pk=second.pk)
    LetterRequest.objects.filter(pk=second.pk).update(
        submitted_at=decided.completed_at - timedelta(days=2, hours=12)
    )
    today = decided.completed_at.date()
    # when the daily statistics job runs
    stats_compute(today=today)
    # then the requests are counted per type and status
    period = f"{today:%Y-%m}"
    counts = StatSeries.objects.get(indicator="surat.permohonan", period=period)
    assert {(v["d"]["jenis_surat"], v["d"]["status"], v["v"]) for v in counts.values} >= {
        ("tidak-mampu", "diajukan", 1)
    }
    # and the median time to a decision is 2.5 days, a figure that is never summed
    median = StatSeries.objects.get(indicator="surat.lama_layanan", period=period)
    assert median.values == [{"d": {"jenis_surat": "tidak-mampu"}, "v": 2.5}]
    assert median.additive is False and median.unit == "hari"
    # and no NIK, phone or name is in any figure
    for series in StatSeries.objects.all():
        text = repr(series.values) + series.definition + series.method
        assert NIK not in text and PHONE.replace(" ", "") not in text and "Siti" not in text
