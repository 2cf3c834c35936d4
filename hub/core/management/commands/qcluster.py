"""``qcluster``: django-q2's cluster, started from a warmed and frozen first process.

django-q2 forks its sentinel, monitor, pusher and workers from the process that runs this
command. Loading the task modules first and freezing the garbage collector keeps the pages
they share from being copied into each of them (on a 512 MB Pi Zero 2 W every process counts).
This command takes the place of django-q2's own (``hub.core`` comes first in
``INSTALLED_APPS``), so ``manage.py qcluster`` and ``python -m django qcluster`` in the
systemd unit both use it; its options are django-q2's.
"""

from django_q.management.commands.qcluster import Command as ClusterCommand

from hub.core.warmup import warm_up_cluster_and_freeze


class Command(ClusterCommand):
    def handle(self, *args, **options):
        warm_up_cluster_and_freeze()
        super().handle(*args, **options)
