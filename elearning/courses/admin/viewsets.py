"""The "Kursus" admin menu for content teams (upstream) and village officials (a village's own
courses). Plain :class:`ModelViewSet`s with Django's model permissions; a record another node
owns opens read-only in effect: saving it is refused by its ``clean()`` with the reason.

Saving a media file hands it to :func:`~elearning.courses.services.media_asset_uploaded`:
upstream, video and audio wait for the transcoding task, and the list shows each file's status
and, when ffmpeg refused it, why.
"""

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, EditView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permission_policies import ModelPermissionPolicy

from ..models import (
    Block,
    Course,
    CourseMonthStat,
    Learner,
    LearnerGroup,
    Lesson,
    MediaAsset,
    Question,
)
from ..services import media_asset_uploaded


class CourseViewSet(ModelViewSet):
    name = "courses_course"
    url_prefix = "belajar/kursus"
    model = Course
    icon = "folder-open-inverse"
    menu_label = _("Kursus")
    add_to_admin_menu = False
    list_display = ["title", "category", "level", "published", "origin"]
    list_filter = ["category", "published"]
    search_fields = ["title"]
    search_backend_name = None
    form_fields = [
        "title",
        "slug",
        "summary",
        "category",
        "level",
        "language",
        "cover",
        "licence",
        "source",
        "region",
        "published",
        "sort_order",
    ]


class LessonViewSet(ModelViewSet):
    name = "courses_lesson"
    url_prefix = "belajar/pelajaran"
    model = Lesson
    icon = "doc-full"
    menu_label = _("Pelajaran")
    list_display = ["title", "course", "sort_order"]
    list_filter = ["course"]
    search_fields = ["title"]
    search_backend_name = None
    form_fields = ["course", "title", "sort_order"]


class BlockViewSet(ModelViewSet):
    name = "courses_block"
    url_prefix = "belajar/bagian"
    model = Block
    icon = "list-ul"
    menu_label = _("Bagian pelajaran")
    list_display = ["__str__", "kind", "lesson", "sort_order"]
    list_filter = ["kind"]
    search_backend_name = None
    form_fields = ["lesson", "kind", "sort_order", "heading", "text", "image", "media", "captions"]


class QuestionViewSet(ModelViewSet):
    name = "courses_question"
    url_prefix = "belajar/soal"
    model = Question
    icon = "help"
    menu_label = _("Pertanyaan kuis")
    list_display = ["__str__", "kind", "block"]
    search_fields = ["prompt"]
    search_backend_name = None
    form_fields = ["block", "kind", "sort_order", "prompt", "choices", "answer", "explanation"]


class MediaUploadMixin:
    def save_instance(self):
        instance = super().save_instance()
        if "file" in self.form.changed_data:
            instance = media_asset_uploaded(asset=instance)
        return instance


class MediaCreateView(MediaUploadMixin, CreateView):
    pass


class MediaEditView(MediaUploadMixin, EditView):
    pass


class MediaAssetViewSet(ModelViewSet):
    name = "courses_media"
    url_prefix = "belajar/media"
    model = MediaAsset
    icon = "media"
    menu_label = _("Media kursus")
    add_view_class = MediaCreateView
    edit_view_class = MediaEditView
    list_display = [
        "title",
        "kind",
        "course",
        "status",
        Column("status_message", label=_("keterangan")),
        Column("size", label=_("ukuran (bita)")),
    ]
    list_filter = ["kind", "status"]
    search_fields = ["title"]
    search_backend_name = None
    form_fields = ["course", "kind", "title", "file", "language"]


class ReadOnlyPolicy(ModelPermissionPolicy):
    """Look, never change: the figures are written by the hubs' pages, not by hand."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return "view" in actions and super().user_has_permission(user, "view")


class CourseMonthStatViewSet(ModelViewSet):
    """Read-only: the figures come from the hubs' pages (on the upstream, every village's)."""

    name = "courses_stat"
    url_prefix = "belajar/statistik"
    model = CourseMonthStat
    icon = "table"
    menu_label = _("Statistik kursus")
    list_display = ["course_title", "month", "started", "completed", "origin"]
    list_filter = ["month"]
    search_fields = ["course_title"]
    search_backend_name = None
    inspect_view_enabled = True
    add_to_settings_menu = False
    form_fields = ["course_title"]

    @cached_property
    def permission_policy(self):
        return ReadOnlyPolicy(self.model)


class LearnerGroupViewSet(ModelViewSet):
    """Village officials make the learning groups and name their facilitators (users of the
    "Pendamping" group); the groups stay on the hub."""

    name = "courses_learnergroup"
    url_prefix = "belajar/kelompok"
    model = LearnerGroup
    icon = "group"
    menu_label = _("Kelompok belajar")
    list_display = ["name", "kind", "active"]
    search_fields = ["name"]
    search_backend_name = None
    form_fields = ["name", "kind", "facilitators", "active"]


class LearnerViewSet(ModelViewSet):
    """Learner profiles, for officials: move one to another group, rename or remove it. The PIN
    is never shown; facilitators set a new one from their group's progress page."""

    name = "courses_learner"
    url_prefix = "belajar/pelajar"
    model = Learner
    icon = "user"
    menu_label = _("Profil pelajar")
    list_display = ["nickname", "group", "failed_pins", "last_seen"]
    list_filter = ["group"]
    search_fields = ["nickname"]
    search_backend_name = None
    add_to_admin_menu = False
    form_fields = ["nickname", "group"]

    @cached_property
    def permission_policy(self):
        return NoAddPolicy(self.model)


class NoAddPolicy(ModelPermissionPolicy):
    """Profiles are made by learners on the course pages (with their own PIN), never here."""

    def user_has_permission(self, user, action):
        return action != "add" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


class CoursesViewSetGroup(ModelViewSetGroup):
    menu_label = _("Kursus")
    menu_icon = "folder-open-inverse"
    menu_order = 320
    items = (
        CourseViewSet,
        LessonViewSet,
        BlockViewSet,
        QuestionViewSet,
        MediaAssetViewSet,
        CourseMonthStatViewSet,
        LearnerGroupViewSet,
        LearnerViewSet,
    )
