"""A certificate that came down is installed by a task after the commit; the schedules are
made after migrations. Handlers only enqueue."""

from django.db import transaction
from django.db.models.signals import post_migrate, post_save
from django_q.tasks import async_task

from hub.sync.registry import records_applied

from .models import IssuedCertificate
from .tasks import schedules_ensure


def _install_later(pks) -> None:
    for pk in pks:
        transaction.on_commit(
            lambda pk=pk: async_task(
                "hub.certs.tasks.issued_certificate_install_task",
                str(pk),
                task_name=f"certs-install-{pk}",
            )
        )


def _issued_applied(sender, pks, **kwargs):
    _install_later(pks)


def _issued_saved(sender, instance, raw=False, **kwargs):
    # the upstream saves its own certificates: nothing to install there
    if not raw and not instance.is_local:
        _install_later([instance.pk])


def _schedules(sender, **kwargs):
    if sender.name == "hub.certs":
        schedules_ensure()


records_applied.connect(_issued_applied, sender=IssuedCertificate, dispatch_uid="certs-applied")
post_save.connect(_issued_saved, sender=IssuedCertificate, dispatch_uid="certs-saved")
post_migrate.connect(_schedules, weak=False, dispatch_uid="certs-schedules")
