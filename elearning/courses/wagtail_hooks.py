"""Admin registration: the "Kursus" menu, and the facilitators' "Kemajuan pelajar" page."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .admin import facilitator
from .admin.viewsets import CoursesViewSetGroup


@hooks.register("register_admin_viewset")
def register_courses_viewsets():
    return CoursesViewSetGroup()


@hooks.register("register_admin_urls")
def register_facilitator_urls():
    return [
        path("belajar/pendamping/", facilitator.group_list, name="courses_facilitator"),
        path(
            "belajar/pendamping/<int:pk>/",
            facilitator.group_progress,
            name="courses_facilitator_group",
        ),
        path(
            "belajar/pendamping/<int:pk>/pin/<int:learner_pk>/",
            facilitator.learner_pin,
            name="courses_facilitator_pin",
        ),
    ]


class FacilitatorMenuItem(MenuItem):
    def is_shown(self, request):
        return facilitator.may_facilitate(request.user)


@hooks.register("register_admin_menu_item")
def register_facilitator_menu_item():
    return FacilitatorMenuItem(
        _("Kemajuan pelajar"),
        reverse("courses_facilitator"),
        name="learner-progress",
        icon_name="group",
        order=321,
    )
