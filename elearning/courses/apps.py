from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    """E-learning courses for villagers: courses made upstream by content teams (or by the
    village), lessons with video that seeks on phones, quizzes graded on the server and
    progress kept per device in a signed cookie. Pages under /belajar/."""

    name = "elearning.courses"
    label = "elearning_courses"
    verbose_name = _("Kursus")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from hub.core.demo import register_demo
        from hub.site.entries import HomeEntry, register_home_entry

        from . import signal_handlers  # noqa: F401
        from .selectors import courses_exist
        from .sync import register_synced_models

        register_synced_models()
        register_demo("belajar", "elearning.courses.demo.load_demo", order=40)
        register_home_entry(
            HomeEntry(
                key="belajar",
                label=_("Belajar"),
                description=_(
                    "Kursus pertanian, kesehatan, usaha dan lainnya, dengan video dan kuis."
                ),
                url_name="courses:index",
                has_content=courses_exist,
                order=30,
            )
        )
