from django.db import models
from django.utils.translation import gettext_lazy as _

from hub.sync.records import SyncedRecord


class StatSeries(SyncedRecord):
    """One indicator's values for one month in one village, with the indicator's metadata.

    Made by the village's daily statistics job (never by hand), owned by the village and synced
    up only; the upstream reads them for its Satu Data tables. ``values`` is a list of
    ``{"d": {dimension: value}, "v": number}``: aggregates only, never a person.
    """

    indicator = models.CharField(_("kode indikator"), max_length=64)
    period = models.CharField(_("periode"), max_length=7, help_text=_("Bulan, YYYY-MM."))
    name = models.CharField(_("nama indikator"), max_length=200)
    definition = models.TextField(_("definisi"))
    unit = models.CharField(_("satuan"), max_length=60)
    method = models.TextField(_("cara penghitungan"))
    source = models.CharField(_("sumber data"), max_length=200)
    activity_code = models.CharField(_("kode kegiatan statistik"), max_length=40, blank=True)
    dimensions = models.JSONField(_("dimensi"), default=list)
    additive = models.BooleanField(_("dapat dijumlahkan"), default=True)
    values = models.JSONField(_("nilai"), default=list)
    computed_at = models.DateTimeField(_("dihitung pada"))

    class Meta:
        verbose_name = _("seri statistik")
        verbose_name_plural = _("seri statistik")
        constraints = [
            models.UniqueConstraint(
                fields=["origin", "indicator", "period"], name="stats_one_series_per_month"
            )
        ]
        indexes = [models.Index(fields=["indicator", "period"])]

    def __str__(self):
        return f"{self.indicator} {self.period} {self.origin}"
