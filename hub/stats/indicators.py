"""The indicators a hub computes, registered by the apps that own the data.

An indicator follows the metadata of Satu Data Indonesia's statistical standard (Perpres 39/2019,
BPS's metadata for statistical activities): a name, a definition, a unit, the method of
computation, the source and, where the activity is registered with BPS, its activity code. An app
declares one in ``AppConfig.ready()``::

    register_indicator(
        Indicator(
            code="surat.permohonan",
            name=_("Permohonan surat"),
            definition=_("Banyaknya permohonan surat yang diterima desa dalam sebulan."),
            unit=_("permohonan"),
            method=_("Dihitung dari tanggal permohonan masuk."),
            source=_("Layanan surat Balai, desa"),
            dimensions=("jenis_surat", "status"),
            compute="egov.letters.stats.requests_by_type",
        )
    )

``compute`` is a dotted path (so registering imports nothing heavy) to a function
``compute(start, end)`` returning ``[(dimensions_dict, number), …]`` for records of
``[start, end)``. ``additive`` says whether villages' values may be summed for a kecamatan or a
kabupaten (counts: yes; medians: no).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

_indicators: dict[str, "Indicator"] = {}


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    definition: str
    unit: str
    method: str
    source: str
    compute: str | Callable
    dimensions: tuple[str, ...] = ()
    additive: bool = True
    activity_code: str = ""

    def compute_values(self, start, end) -> Iterable[tuple[dict, float]]:
        function = import_string(self.compute) if isinstance(self.compute, str) else self.compute
        return function(start, end)

    @property
    def registered_activity_code(self) -> str:
        """The BPS activity code: the operator's setting wins (``STATS_ACTIVITY_CODES``)."""
        return getattr(settings, "STATS_ACTIVITY_CODES", {}).get(self.code, self.activity_code)


def register_indicator(indicator: Indicator) -> Indicator:
    if not indicator.code or len(indicator.code) > 64:
        raise ValueError(f"an indicator code is 1-64 characters: {indicator.code!r}")
    _indicators[indicator.code] = indicator
    return indicator


def unregister_indicator(code: str) -> None:
    _indicators.pop(code, None)


def indicators() -> list[Indicator]:
    return sorted(_indicators.values(), key=lambda i: i.code)


def indicator_for(code: str) -> Indicator | None:
    return _indicators.get(code)
