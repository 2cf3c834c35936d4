"""``qcluster``: django-q2's cluster in two processes, started from a warmed and frozen process.

The sentinel, the pusher and the monitor run in this command's process (``hub.core.cluster``);
each worker is a process forked from it. Loading the task modules first and freezing the
garbage collector keeps the pages the worker shares with this process from being copied into
it (on a 512 MB Pi Zero 2 W every process counts). This command takes the place of django-q2's
own (``hub.core`` comes first in ``INSTALLED_APPS``), so ``manage.py qcluster`` and
``python -m django qcluster`` in the systemd unit both use it; its options are django-q2's.

It runs the project's own system checks (data directory, field key, region list, ...), not
Django's and Wagtail's: their URL check imports the whole URL configuration, the admin and the
REST framework with it (about 20 MB that no task uses, in this process and so in every worker,
whose peak RSS then starts above ``max_rss`` and gets it replaced after every task). gunicorn
runs no checks either; ``migrate``, which scripts/run and the provisioning run first, runs all.
"""

import os
import sysconfig
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.management.base import SystemCheckError
from django_q.management.commands.qcluster import Command as ClusterCommand

from hub.core.cluster import run_cluster
from hub.core.warmup import warm_up_cluster_and_freeze


def project_checks() -> list:
    """The registered checks that come from this project's apps: those under ``BASE_DIR`` and
    not installed packages (a virtualenv inside the checkout, as ``scripts/run`` makes it, is
    under ``BASE_DIR`` too)."""
    base = Path(settings.BASE_DIR).resolve()
    installed = {Path(sysconfig.get_paths()[k]).resolve() for k in ("purelib", "platlib")}

    def ours_path(path: Path) -> bool:
        parents = path.resolve().parents
        return base in parents and not any(site in parents for site in installed)

    ours = tuple(config.name for config in apps.get_app_configs() if ours_path(Path(config.path)))
    return [
        check
        for check in checks.registry.registry.get_checks()
        if check.__module__ in ours or check.__module__.startswith(tuple(f"{n}." for n in ours))
    ]


class Command(ClusterCommand):
    requires_system_checks = []  # project_checks() instead, see the module's docstring

    def handle(self, *args, **options):
        self.check_project()
        # as django-q2's command: the cluster signs its tasks with the secret key, and --name
        # picks another queue of a multi-queue setup
        settings.SECRET_KEY  # noqa: B018
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        warm_up_cluster_and_freeze()
        run_cluster(run_once=options.get("run_once", False))

    def check_project(self) -> None:
        found = []
        for check in project_checks():
            found.extend(check(app_configs=None, databases=None))
        found = [message for message in found if not message.is_silenced()]
        serious = [message for message in found if message.is_serious()]
        if serious:
            raise SystemCheckError("\n".join(str(message) for message in serious))
        for message in found:
            self.stderr.write(str(message))
