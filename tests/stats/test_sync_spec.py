"""What of the statistics travels: the series, up only, and nothing else."""

import pytest

from hub.stats.models import StatSeries
from hub.sync.registry import spec_for

pytestmark = pytest.mark.django_db


def test_a_series_goes_up_with_its_values_and_metadata():
    spec = spec_for(StatSeries)
    names = {f.name for f in spec.wire_fields()}
    assert {"indicator", "period", "values", "name", "definition", "unit", "method"} <= names
    assert {"source", "activity_code", "dimensions", "additive", "computed_at"} <= names


def test_a_villages_series_is_sent_to_no_village(village):
    # given a series the village made
    series = StatSeries(indicator="x", period="2026-11", name="x", definition="x", unit="x")
    series.origin = "1503012021"
    # then its audience is the upstream only
    assert spec_for(StatSeries).audience(series) is None
