"""Reads: the upstream's Satu Data table, villages' series summed up to the level asked for."""

from collections import defaultdict
from dataclasses import dataclass, field

from hub.core.regions import region_names

from .models import StatSeries

# level → how many digits of the village code name the region
LEVELS = {"provinsi": 2, "kabupaten": 4, "kecamatan": 6, "desa": 10}


@dataclass
class StatRow:
    region: str
    region_name: str
    dimensions: dict
    cells: list
    value: int | float | None
    villages: int


@dataclass
class StatTable:
    indicator: str
    period: str
    level: str
    meta: StatSeries | None
    rows: list[StatRow] = field(default_factory=list)
    villages: int = 0
    summed: bool = True


def stat_choices() -> tuple[list[tuple[str, str]], list[str]]:
    """The indicators (code, name) and the periods, newest first, that have series."""
    names = dict(
        StatSeries.objects.order_by("indicator", "-period").values_list("indicator", "name")
    )
    periods = sorted(set(StatSeries.objects.values_list("period", flat=True)), reverse=True)
    return sorted(names.items()), periods


def stat_table(*, indicator: str, period: str, level: str, prefix: str = "") -> StatTable:
    """Values of ``indicator`` in ``period`` for the villages under region ``prefix`` ("" all),
    per region of ``level``. Values of an indicator that may not be summed (a median) are
    shown per village only: at a higher level the row says how many villages reported."""
    digits = LEVELS[level]
    series = list(
        StatSeries.objects.filter(indicator=indicator, period=period, origin__startswith=prefix)
        .exclude(origin="")
        .order_by("origin")
    )
    table = StatTable(indicator=indicator, period=period, level=level, meta=None)
    if not series:
        return table
    table.meta = max(series, key=lambda s: s.computed_at)
    table.villages = len(series)
    table.summed = all(s.additive for s in series) or digits == 10
    sums: dict[tuple, float] = defaultdict(float)
    counts: dict[tuple, set] = defaultdict(set)
    dims_of: dict[tuple, dict] = {}
    for s in series:
        region = s.origin[:digits]
        for item in s.values:
            dims = item.get("d", {}) if isinstance(item, dict) else {}
            key = (region, tuple(sorted(dims.items())))
            dims_of[key] = dims
            counts[key].add(s.origin)
            if isinstance(item.get("v"), int | float):
                sums[key] += item["v"]
    names = region_names({region for region, _ in dims_of})
    order = list(table.meta.dimensions)
    for key in sorted(dims_of):
        region = key[0]
        value = sums.get(key) if table.summed else None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        table.rows.append(
            StatRow(
                region=region,
                region_name=names.get(region, ""),
                dimensions=dims_of[key],
                cells=[dims_of[key].get(d, "") for d in order],
                value=value,
                villages=len(counts[key]),
            )
        )
    return table
