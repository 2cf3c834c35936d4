"""Reads of the courses app: what a villager's pages show."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q

from .models import (
    BLOCK_MEDIA_KINDS,
    Block,
    BlockKind,
    Course,
    Learner,
    LearnerGroup,
    Lesson,
    MediaAsset,
    Question,
)
from .progress import Progress, short_id

MEDIA_FIELDS = ("id", "kind", "title", "file", "size", "status", "language", "duration", "poster")


def courses_exist() -> bool:
    return Course.objects.filter(published=True).exists()


def course_list(*, category: str = ""):
    """Published courses with their lesson counts, cover images fetched with them."""
    queryset = (
        Course.objects.filter(published=True)
        .select_related("cover")
        .annotate(lesson_count=Count("lessons"))
    )
    if category:
        queryset = queryset.filter(category=category)
    return queryset


def categories_in_use() -> list[str]:
    return list(
        Course.objects.filter(published=True)
        .order_by()
        .values_list("category", flat=True)
        .distinct()
    )


def _media_blocks():
    return Block.objects.filter(kind__in=list(BLOCK_MEDIA_KINDS)).select_related("media")


def course_get(pk) -> Course | None:
    """A published course with its lessons and, per lesson, the blocks that carry media."""
    return (
        Course.objects.filter(published=True, pk=pk)
        .select_related("cover")
        .prefetch_related(
            Prefetch(
                "lessons",
                queryset=Lesson.objects.prefetch_related(
                    Prefetch("blocks", queryset=_media_blocks(), to_attr="media_blocks")
                ),
            )
        )
        .first()
    )


@dataclass
class Downloads:
    """How much of a course's media is on this hub, and how much is still coming."""

    arrived_bytes: int = 0
    waiting_bytes: int = 0
    arrived: int = 0
    waiting: int = 0

    @property
    def complete(self) -> bool:
        return self.waiting == 0


def course_downloads(course: Course) -> Downloads:
    """Counts each media file a lesson uses once (fetched with :func:`course_get`)."""
    seen, out = set(), Downloads()
    for lesson in course.lessons.all():
        for block in lesson.media_blocks:
            asset = block.media
            if asset is None or asset.pk in seen:
                continue
            seen.add(asset.pk)
            if asset.arrived:
                out.arrived += 1
                out.arrived_bytes += asset.size
            else:
                out.waiting += 1
                out.waiting_bytes += asset.size
    return out


def lesson_waiting(lesson: Lesson) -> int:
    return sum(1 for b in lesson.media_blocks if b.media is not None and not b.media.arrived)


def lesson_get(pk) -> Lesson | None:
    """A lesson of a published course with its blocks, their media, captions, images and
    questions."""
    return (
        Lesson.objects.filter(pk=pk, course__published=True)
        .select_related("course")
        .prefetch_related(
            Prefetch(
                "blocks",
                queryset=Block.objects.select_related(
                    "image", "media", "media__poster", "captions"
                ).prefetch_related(Prefetch("questions", queryset=Question.objects.all())),
            )
        )
        .first()
    )


def lesson_neighbours(lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    siblings = list(Lesson.objects.filter(course_id=lesson.course_id).only("id", "title"))
    index = next(i for i, s in enumerate(siblings) if s.pk == lesson.pk)
    previous = siblings[index - 1] if index > 0 else None
    following = siblings[index + 1] if index + 1 < len(siblings) else None
    return previous, following


def course_lessons(course_id) -> list[Lesson]:
    return list(Lesson.objects.filter(course_id=course_id).only("id", "title", "course_id"))


def media_waiting_count() -> int:
    return MediaAsset.objects.filter(~Q(status="siap") | Q(file="")).count()


def learner_groups_visible(user):
    """The learning groups ``user`` may see the progress of: every group for a superuser, the
    groups naming them as facilitator for a holder of ``view_learner_progress``, none else."""
    if not user.is_active:
        return LearnerGroup.objects.none()
    if user.is_superuser:
        return LearnerGroup.objects.all()
    if not user.has_perm("elearning_courses.view_learner_progress"):
        return LearnerGroup.objects.none()
    return LearnerGroup.objects.filter(facilitators=user)


@dataclass
class CourseProgressRow:
    """One learner in one course, as a facilitator sees it (like Kolibri's coach view)."""

    learner: Learner
    course: Course
    lessons_done: int
    lessons_total: int
    quiz_scores: list[tuple[str, int | None]]

    @property
    def completed(self) -> bool:
        return self.lessons_total > 0 and self.lessons_done == self.lessons_total

    @property
    def started(self) -> bool:
        return self.lessons_done > 0 or any(s is not None for _t, s in self.quiz_scores)


def group_progress(group: LearnerGroup) -> list[CourseProgressRow]:
    """Per learner of ``group``, per published course they have started: lessons completed
    (of all), and the best score of each quiz in lesson order (None: not tried). Four queries
    whatever the size of the group."""
    learners = list(group.learners.all())
    courses = list(
        Course.objects.filter(published=True).prefetch_related(
            Prefetch(
                "lessons",
                queryset=Lesson.objects.prefetch_related(
                    Prefetch(
                        "blocks",
                        queryset=Block.objects.filter(kind=BlockKind.QUIZ),
                        to_attr="quizzes",
                    )
                ),
            )
        )
    )
    rows = []
    for learner in learners:
        progress = Progress.for_learner(learner)
        done = set(progress.done)
        for course in courses:
            lessons = list(course.lessons.all())
            quizzes = [
                (lesson.title if len(lesson.quizzes) == 1 else f"{lesson.title} #{i}", quiz)
                for lesson in lessons
                for i, quiz in enumerate(lesson.quizzes, start=1)
            ]
            row = CourseProgressRow(
                learner=learner,
                course=course,
                lessons_done=sum(1 for lesson in lessons if short_id(lesson.pk) in done),
                lessons_total=len(lessons),
                quiz_scores=[(title, progress.best_score(quiz)) for title, quiz in quizzes],
            )
            if row.started:
                rows.append(row)
    return rows
