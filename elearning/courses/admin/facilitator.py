"""The facilitator's view (pendamping, like Kolibri's coach view) in the admin: the groups they
facilitate, and per group each learner's progress per course — lessons completed, the best
score of each quiz — with its CSV, and a new PIN for a learner who forgot theirs or was locked
out. A facilitator sees only the groups that name them (``selectors.learner_groups_visible``);
another group's page is a 404, as if it were not there."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from hub.core.exports import csv_response

from .. import selectors, services
from ..models import Learner

VIEW_PERMISSION = "elearning_courses.view_learner_progress"


def may_facilitate(user) -> bool:
    return user.is_superuser or user.has_perm(VIEW_PERMISSION)


@require_safe
def group_list(request):
    if not may_facilitate(request.user):
        raise PermissionDenied
    groups = selectors.learner_groups_visible(request.user)
    return TemplateResponse(
        request, "elearning_courses/admin/group_list.html", {"groups": list(groups)}
    )


def _group_or_404(request, pk):
    if not may_facilitate(request.user):
        raise PermissionDenied
    group = selectors.learner_groups_visible(request.user).filter(pk=pk).first()
    if group is None:
        raise Http404("no such group")
    return group


@require_safe
def group_progress(request, pk):
    """``?format=csv`` for the download (one row per learner per course started)."""
    group = _group_or_404(request, pk)
    rows = selectors.group_progress(group)
    if request.GET.get("format") == "csv":
        return csv_response(
            f"kemajuan-{slugify(group.name) or group.pk}.csv",
            [
                "kelompok",
                "nama_panggilan",
                "kursus",
                "pelajaran_selesai",
                "jumlah_pelajaran",
                "kursus_selesai",
                "nilai_kuis_terbaik",
            ],
            (
                [
                    group.name,
                    row.learner.nickname,
                    row.course.title,
                    row.lessons_done,
                    row.lessons_total,
                    "ya" if row.completed else "tidak",
                    "; ".join(
                        f"{title}: {'-' if score is None else score}"
                        for title, score in row.quiz_scores
                    ),
                ]
                for row in rows
            ),
        )
    learners = list(group.learners.all())
    started = {row.learner.pk for row in rows}
    return TemplateResponse(
        request,
        "elearning_courses/admin/group_progress.html",
        {
            "group": group,
            "rows": rows,
            "not_started": [learner for learner in learners if learner.pk not in started],
            "learners": learners,
        },
    )


@require_POST
def learner_pin(request, pk, learner_pk):
    """A new 4-digit PIN for a learner of a group this facilitator sees; clears any lock."""
    group = _group_or_404(request, pk)
    learner = Learner.objects.filter(pk=learner_pk, group=group).first()
    if learner is None:
        raise Http404("no such learner")
    try:
        services.learner_pin_reset(learner=learner, pin=request.POST.get("pin", ""))
    except services.ProfileRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("PIN baru untuk %(name)s disimpan; profilnya tidak terkunci lagi.")
            % {"name": learner.nickname},
        )
    return redirect("courses_facilitator_group", pk=group.pk)
