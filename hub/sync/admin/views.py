"""The admin's sync page ("Sinkronisasi") and its "sync now" button.

Who may do what (superusers may do both):

- see the page: ``sync.view_syncrun`` (Django's default view permission of :class:`SyncRun`);
- ask for a sync now: ``sync.add_syncrun`` (a manual sync adds a run).

Wagtail's own admin-access check wraps every admin URL before these views run, so an anonymous
user is sent to the login page, and a user without ``wagtailadmin.access_admin`` back to it.
The button only enqueues the sync task: a run can take minutes on a satellite link, so it never
runs inside the request.
"""

from datetime import timedelta

from django.db.models import F, Min
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe
from django_q.tasks import async_task
from wagtail.admin import messages
from wagtail.admin.auth import permission_required

from hub.core.roles import is_upstream

from ..models import Node, SyncRun
from ..registry import heartbeat_facts_display
from .selectors import sync_overview

VIEW_PERMISSION = "sync.view_syncrun"
RUN_PERMISSION = "sync.add_syncrun"

TRIGGER_LABELS = {
    "schedule": gettext_lazy("terjadwal"),
    "soon": gettext_lazy("setelah perubahan"),
    "manual": gettext_lazy("manual"),
}


def _clock(duration: timedelta | None) -> str:
    """A run's duration as ``m:ss`` (``h:mm:ss`` past an hour): needs no translation."""
    if duration is None:
        return "—"
    seconds = max(0, int(duration.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def _run_rows(runs: list[dict]) -> list[dict]:
    rows = []
    for run in runs:
        finished = run["finished_at"]
        rows.append(
            {
                **run,
                "duration": _clock(finished - run["started_at"] if finished else None),
                "trigger_label": TRIGGER_LABELS.get(run["trigger"], run["trigger"]),
                "outcome_label": SyncRun.Outcome(run["outcome"]).label
                if run["outcome"] in SyncRun.Outcome.values
                else run["outcome"],
            }
        )
    return rows


def _down_since(last_success_at):
    """When the current run of failures began: the first failed run after the last good one."""
    failed = SyncRun.objects.filter(outcome=SyncRun.Outcome.FAILED)
    if last_success_at:
        failed = failed.filter(started_at__gt=last_success_at)
    return failed.aggregate(first=Min("started_at"))["first"]


@require_safe
@permission_required(VIEW_PERMISSION)
def status(request):
    overview = sync_overview()
    now = timezone.now()
    context = {
        "overview": overview,
        "node_code": "" if overview["node"] == "—" else overview["node"],
        "runs": _run_rows(overview["runs"]),
        "can_sync_now": overview["role"] == "village" and request.user.has_perm(RUN_PERMISSION),
        "backing_off": bool(overview["next_attempt_at"] and overview["next_attempt_at"] > now),
    }
    if overview["link"] == "down":
        context["down_since"] = _down_since(overview["last_success_at"])
    budget = overview["month_budget"]
    if budget:
        context["month_percent"] = round(overview["month_bytes"] * 100 / budget)
    if overview["role"] == "upstream":
        nodes = list(Node.objects.order_by(F("last_seen_at").desc(nulls_last=True), "code"))
        for node in nodes:
            # what domains put on the heartbeat (register_heartbeat_fact), with their labels
            node.facts = heartbeat_facts_display((node.heartbeat or {}).get("facts"))
        context["nodes"] = nodes
    return TemplateResponse(request, "sync/admin/status.html", context)


@require_POST
@permission_required(RUN_PERMISSION)
def sync_now(request):
    if is_upstream():
        messages.error(request, _("Hanya hub desa yang menyinkronkan ke upstream."))
        return redirect("sync_admin_status")
    async_task("hub.sync.tasks.sync_task", "manual", task_name="balai-sync-manual")
    messages.success(
        request,
        _("Sinkronisasi sudah masuk antrean. Hasilnya tampil di halaman ini setelah selesai."),
    )
    return redirect("sync_admin_status")
