"""Admin registration: the "Kursus" menu."""

from wagtail import hooks

from .admin.viewsets import CoursesViewSetGroup


@hooks.register("register_admin_viewset")
def register_courses_viewsets():
    return CoursesViewSetGroup()
