"""Writes: the village's monthly statistics, recomputed from its own data."""

import logging
import math
from datetime import date, datetime, time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from hub.core.roles import is_upstream

from .indicators import Indicator, indicators
from .models import StatSeries

log = logging.getLogger(__name__)


def month_bounds(period: str) -> tuple[datetime, datetime]:
    """``"2026-11"`` → the aware start of that month and of the next, in the hub's time zone."""
    year, month = (int(part) for part in period.split("-"))
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), zone),
        timezone.make_aware(datetime.combine(end, time.min), zone),
    )


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_period(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def _number(value) -> int | float:
    """A JSON number: an int when whole (counts), else a float rounded to 2 places."""
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return int(value) if float(value).is_integer() else round(float(value), 2)


def _values(indicator: Indicator, period: str) -> list[dict]:
    start, end = month_bounds(period)
    rows = []
    for dimensions, value in indicator.compute_values(start, end):
        if set(dimensions) != set(indicator.dimensions):
            raise ValueError(
                f"{indicator.code}: dimensions {sorted(dimensions)} are not the declared "
                f"{sorted(indicator.dimensions)}"
            )
        rows.append(
            {"d": {k: str(dimensions[k]) for k in indicator.dimensions}, "v": _number(value)}
        )
    rows.sort(key=lambda row: [row["d"][k] for k in indicator.dimensions])
    return rows


@transaction.atomic
def stat_series_compute(*, indicator: Indicator, period: str) -> StatSeries | None:
    """Store ``indicator``'s values for ``period`` in this village. A series whose values and
    metadata are unchanged is left alone (no new revision, nothing to sync); a month without
    any value and no series yet stores nothing."""
    values = _values(indicator, period)
    fields = {
        "name": str(indicator.name),
        "definition": str(indicator.definition),
        "unit": str(indicator.unit),
        "method": str(indicator.method),
        "source": str(indicator.source),
        "activity_code": indicator.registered_activity_code,
        "dimensions": list(indicator.dimensions),
        "additive": indicator.additive,
        "values": values,
    }
    series = next(
        (
            s
            for s in StatSeries.objects.filter(indicator=indicator.code, period=period)
            if s.is_local
        ),
        None,
    )
    if series is None:
        if not values:
            return None
        series = StatSeries(indicator=indicator.code, period=period)
    elif all(getattr(series, name) == value for name, value in fields.items()):
        return series
    for name, value in fields.items():
        setattr(series, name, value)
    series.computed_at = timezone.now()
    series.save()
    return series


def stats_compute(*, today: date | None = None) -> dict[str, int]:
    """Recompute every registered indicator for this month and the last (late changes to last
    month's requests still count). Villages only: the upstream holds theirs."""
    if is_upstream():
        return {"computed": 0, "failed": 0}
    today = today or timezone.localdate()
    current = period_of(today)
    computed = failed = 0
    for indicator in indicators():
        for period in (previous_period(current), current):
            try:
                stat_series_compute(indicator=indicator, period=period)
                computed += 1
            except Exception:
                # one broken indicator must not stop the others
                log.exception("statistics: %s for %s failed", indicator.code, period)
                failed += 1
    return {"computed": computed, "failed": failed}
