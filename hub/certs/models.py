"""Certificate requests (village-owned, up), issued certificates (upstream-owned, down to one
village), and what each side keeps for itself (the village's install log, the upstream's
ordering state)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from hub.sync.records import SyncedRecord


class CertificateRequest(SyncedRecord):
    """A village hub's certificate signing request for its public name: made on the hub (the
    key never leaves it), one per village, updated in place when the name or the key changes.
    Syncs up. It also carries what the village installed (serial, expiry, last refusal); the
    expiry and the hub's warning also ride on every sync heartbeat (hub.certs.sync)."""

    name = models.CharField(_("nama host"), max_length=253)
    csr_pem = models.TextField(_("CSR (PEM)"))
    csr_sha256 = models.CharField(_("sidik CSR"), max_length=64)
    key_sha256 = models.CharField(_("sidik kunci publik"), max_length=64)
    installed_serial = models.CharField(_("nomor seri terpasang"), max_length=64, blank=True)
    installed_not_after = models.DateTimeField(_("berlaku sampai"), null=True, blank=True)
    install_error = models.TextField(_("penolakan terakhir"), blank=True)
    updated_at = models.DateTimeField(_("diperbarui"), auto_now=True)

    origin_guard_message = _("Permintaan sertifikat ini milik hub %(origin)s.")

    class Meta:
        verbose_name = _("permintaan sertifikat")
        verbose_name_plural = _("permintaan sertifikat")

    def __str__(self):
        return self.name


class IssuedCertificate(SyncedRecord):
    """A certificate the upstream obtained for one village hub (leaf first, then the chain, PEM),
    addressed to that village alone; replaced in place on renewal. Written by the upstream's
    issuing service only; the certificate is public, the key stays on the hub."""

    village_code = models.CharField(_("kode desa"), max_length=10, db_index=True)
    name = models.CharField(_("nama host"), max_length=253)
    csr_sha256 = models.CharField(_("sidik CSR"), max_length=64)
    fullchain_pem = models.TextField(_("rantai sertifikat (PEM)"))
    serial = models.CharField(_("nomor seri"), max_length=64)
    not_before = models.DateTimeField(_("berlaku mulai"))
    not_after = models.DateTimeField(_("berlaku sampai"))

    origin_guard_message = _("Sertifikat ini diterbitkan oleh %(origin)s.")

    class Meta:
        verbose_name = _("sertifikat terbit")
        verbose_name_plural = _("sertifikat terbit")

    def __str__(self):
        return f"{self.name} ({self.serial})"


class CertificateInstall(models.Model):
    """The village's log of certificates offered to it (by sync or from a file) and what became
    of each: installed, or refused with the reason. Local only, shown to the operator."""

    RESULT_INSTALLED = "installed"
    RESULT_REFUSED = "refused"
    RESULT_CHOICES = [(RESULT_INSTALLED, _("terpasang")), (RESULT_REFUSED, _("ditolak"))]

    created_at = models.DateTimeField(_("waktu"), auto_now_add=True, db_index=True)
    source = models.CharField(_("sumber"), max_length=200)
    result = models.CharField(_("hasil"), max_length=10, choices=RESULT_CHOICES)
    serial = models.CharField(_("nomor seri"), max_length=64, blank=True)
    not_after = models.DateTimeField(_("berlaku sampai"), null=True, blank=True)
    message = models.TextField(_("keterangan"), blank=True)

    class Meta:
        verbose_name = _("pemasangan sertifikat")
        verbose_name_plural = _("pemasangan sertifikat")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_result_display()} {self.serial}"


class IssuanceState(models.Model):
    """The upstream's ordering state for one village (local, never synced): which CSR it last
    ordered for, when to renew, and the CA's last refusal or rate limit with the time before
    which nothing is ordered again. A hub that sends the same CSR again gets no new order."""

    village_code = models.CharField(_("kode desa"), max_length=10, unique=True)
    csr_sha256 = models.CharField(_("sidik CSR"), max_length=64, blank=True)
    renew_after = models.DateTimeField(_("perpanjang setelah"), null=True, blank=True)
    retry_after = models.DateTimeField(_("coba lagi setelah"), null=True, blank=True)
    last_error = models.TextField(_("galat terakhir"), blank=True)
    # times of recent orders (ISO strings), to cap orders per village per week
    order_times = models.JSONField(_("waktu pesanan"), default=list, blank=True)
    updated_at = models.DateTimeField(_("diperbarui"), auto_now=True)

    class Meta:
        verbose_name = _("status penerbitan")
        verbose_name_plural = _("status penerbitan")

    def __str__(self):
        return self.village_code
