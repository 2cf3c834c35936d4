"""The village's monthly statistics: computed from registered indicators, stored once per
indicator and month, a new revision only when something changed."""

from datetime import date

import pytest
from django.utils import timezone

from hub.stats.indicators import Indicator, register_indicator, unregister_indicator
from hub.stats.models import StatSeries
from hub.stats.services import (
    month_bounds,
    previous_period,
    stat_series_compute,
    stats_compute,
)

pytestmark = pytest.mark.django_db

# what the test indicator "finds" per period
FOUND: dict[str, list] = {}


def found(start, end):
    return FOUND.get(f"{start:%Y-%m}", [])


def broken(start, end):
    return [({"wrong": "x"}, 1)]


KIND = Indicator(
    code="uji.permohonan",
    name="Permohonan uji",
    definition="Banyaknya permohonan uji.",
    unit="permohonan",
    method="Dihitung per bulan.",
    source="Uji",
    dimensions=("jenis",),
    compute=found,
)


@pytest.fixture
def kind(village):
    FOUND.clear()
    register_indicator(KIND)
    yield KIND
    unregister_indicator(KIND.code)
    unregister_indicator("uji.rusak")


def test_a_month_runs_from_its_first_midnight_in_wib_to_the_next_months():
    # given / when December's bounds
    start, end = month_bounds("2026-12")
    # then they are local midnights, the year turning over
    assert (start.year, start.month, start.day, start.hour) == (2026, 12, 1, 0)
    assert (end.year, end.month, end.day) == (2027, 1, 1)
    assert start.utcoffset().total_seconds() == 7 * 3600
    assert previous_period("2027-01") == "2026-12" and previous_period("2026-11") == "2026-10"


def test_values_are_stored_with_the_indicators_metadata(kind):
    # given requests of two kinds in November
    FOUND["2026-11"] = [({"jenis": "sktm"}, 3), ({"jenis": "domisili"}, 2.0)]
    # when November is computed
    series = stat_series_compute(indicator=kind, period="2026-11")
    # then one series holds the values, sorted, whole numbers as integers, with the metadata
    assert series.values == [{"d": {"jenis": "domisili"}, "v": 2}, {"d": {"jenis": "sktm"}, "v": 3}]
    assert (series.name, series.unit, series.source) == ("Permohonan uji", "permohonan", "Uji")
    assert series.dimensions == ["jenis"] and series.additive is True
    assert series.origin == "1503012021" and series.rev == 1


def test_recomputing_an_unchanged_month_makes_no_new_revision(kind):
    # given November computed once
    FOUND["2026-11"] = [({"jenis": "sktm"}, 3)]
    first = stat_series_compute(indicator=kind, period="2026-11")
    # when it is computed again with nothing changed
    again = stat_series_compute(indicator=kind, period="2026-11")
    # then nothing was written (nothing to send up)
    assert again.pk == first.pk and again.rev == 1
    # when a request arrives
    FOUND["2026-11"] = [({"jenis": "sktm"}, 4)]
    changed = stat_series_compute(indicator=kind, period="2026-11")
    # then the same series gets a new revision
    assert changed.pk == first.pk and changed.rev == 2
    assert StatSeries.objects.count() == 1


def test_an_empty_month_stores_nothing(kind):
    # given no request at all in October
    # when it is computed
    # then no empty series is made
    assert stat_series_compute(indicator=kind, period="2026-10") is None
    assert not StatSeries.objects.exists()


def test_the_daily_job_computes_this_month_and_the_last(kind):
    # given values in October and November
    FOUND["2026-10"] = [({"jenis": "sktm"}, 1)]
    FOUND["2026-11"] = [({"jenis": "sktm"}, 2)]
    # when the job runs in mid-November
    result = stats_compute(today=date(2026, 11, 15))
    # then both months are there
    assert result["failed"] == 0
    periods = set(StatSeries.objects.filter(indicator=kind.code).values_list("period", flat=True))
    assert periods == {"2026-10", "2026-11"}


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ([({"wrong": "x"}, 1)], "not the declared"),
        ([({"jenis": "a"}, float("nan"))], "not a finite number"),
        ([({"jenis": "a"}, "3")], "not a finite number"),
    ],
    ids=["undeclared dimension", "NaN", "a string"],
)
def test_a_broken_indicator_is_refused_and_the_others_still_run(kind, values, reason):
    # given an indicator whose function returns something wrong
    FOUND["2026-11"] = values
    # when it is computed alone, it is refused with the reason and nothing is stored
    with pytest.raises(ValueError, match=reason):
        stat_series_compute(indicator=kind, period="2026-11")
    assert not StatSeries.objects.filter(indicator=kind.code).exists()
    # and when the daily job meets it among others, the others are computed
    register_indicator(
        Indicator(
            code="uji.rusak",
            name="Rusak",
            definition="-",
            unit="-",
            method="-",
            source="-",
            compute=broken,
        )
    )
    FOUND["2026-10"] = [({"jenis": "sktm"}, 1)]
    result = stats_compute(today=date(2026, 11, 15))
    assert result["failed"] >= 2
    assert StatSeries.objects.filter(indicator=kind.code, period="2026-10").exists()


def test_the_upstream_computes_nothing(kind, settings):
    # given the upstream role
    settings.HUB_ROLE = "upstream"
    FOUND["2026-11"] = [({"jenis": "sktm"}, 1)]
    # when the job runs / then it leaves the villages' figures to them
    assert stats_compute(today=timezone.localdate()) == {"computed": 0, "failed": 0}
    assert not StatSeries.objects.exists()
