"""The villager's courses under /belajar/: list by category, course, lesson, quiz.

The course list sets no cookie and is kept by the anonymous page cache. Course and lesson pages
show this device's progress (a signed cookie, ``progress.py``) and carry a form, so they are
never cached. Quizzes are graded on the server from an ordinary form: nothing here needs
JavaScript.
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import selectors, services
from ..models import BlockKind, Category, Certificate
from ..progress import PASS_PERCENT, Progress


@require_safe
def index(request, category=""):
    if category and category not in Category.values:
        raise Http404("no such category")
    courses = list(selectors.course_list(category=category))
    used = set(selectors.categories_in_use())
    return render(
        request,
        "elearning_courses/index.html",
        {
            "courses": courses,
            "category": category,
            "category_label": Category(category).label if category else "",
            "categories": [c for c in Category if c.value in used],
        },
    )


def _course_or_404(pk):
    course = selectors.course_get(pk)
    if course is None:
        raise Http404("no such course")
    return course


@never_cache
@require_safe
def course(request, pk):
    course = _course_or_404(pk)
    progress = Progress.from_request(request)
    lessons = list(course.lessons.all())
    rows = [
        {
            "lesson": lesson,
            "done": progress.lesson_done(lesson),
            "waiting": selectors.lesson_waiting(lesson),
        }
        for lesson in lessons
    ]
    done = sum(1 for r in rows if r["done"])
    return render(
        request,
        "elearning_courses/course.html",
        {
            "course": course,
            "rows": rows,
            "done_count": done,
            "course_done": bool(lessons) and done == len(lessons),
            "downloads": selectors.course_downloads(course),
            "certificate": progress.certificate(course),
            "nickname_max": services.NICKNAME_MAX,
            "learner": progress.learner,
        },
    )


def _lesson_or_404(pk):
    lesson = selectors.lesson_get(pk)
    if lesson is None:
        raise Http404("no such lesson")
    return lesson


def _quiz_view(block, progress, result, error, posted):
    """What the template needs of one quiz: each question's options, marked after grading."""
    questions = []
    for question in block.questions.all():
        graded = result.for_question(question) if result else None
        chosen = graded.chosen if graded else _posted_choice(posted, question)
        questions.append(
            {
                "question": question,
                "name": services.answer_key(question),
                "graded": graded,
                "options": [
                    {
                        "index": i,
                        "text": text,
                        "chosen": chosen == i,
                        "right": graded is not None and i == question.answer,
                    }
                    for i, text in enumerate(question.options)
                ],
            }
        )
    return {
        "questions": questions,
        "best": progress.best_score(block),
        "result": result,
        "error": error,
    }


def _posted_choice(posted, question):
    raw = (posted or {}).get(services.answer_key(question), "")
    return int(raw) if str(raw).isdigit() else None


def _lesson_render(request, lesson, progress, *, quiz=None, error="", status=200):
    """The lesson page; ``quiz`` is ``(block id, result or None)`` after a quiz was posted."""
    previous, following = selectors.lesson_neighbours(lesson)
    blocks = []
    for block in lesson.blocks.all():
        state = None
        if block.kind == BlockKind.QUIZ:
            mine = quiz is not None and quiz[0] == block.pk
            state = _quiz_view(
                block,
                progress,
                quiz[1] if mine else None,
                error if mine else "",
                request.POST if mine else None,
            )
        blocks.append({"block": block, "quiz": state})
    response = render(
        request,
        "elearning_courses/lesson.html",
        {
            "lesson": lesson,
            "course": lesson.course,
            "blocks": blocks,
            "has_quiz": any(b["quiz"] for b in blocks),
            "done": progress.lesson_done(lesson),
            "learner": progress.learner,
            "previous": previous,
            "following": following,
            "pass_percent": PASS_PERCENT,
            "error": "" if quiz else error,
        },
        status=status,
    )
    progress.save(response)
    return response


@never_cache
@require_safe
def lesson(request, pk):
    lesson = _lesson_or_404(pk)
    return _lesson_render(request, lesson, Progress.from_request(request))


@never_cache
@require_POST
def quiz(request, pk, block_pk):
    """Grade one quiz of the lesson; the page comes back with each answer marked and
    explained, the score, and the best score so far. Bad input: 400, nothing recorded."""
    lesson = _lesson_or_404(pk)
    block = next((b for b in lesson.blocks.all() if b.pk == block_pk), None)
    if block is None or block.kind != BlockKind.QUIZ:
        raise Http404("no such quiz")
    progress = Progress.from_request(request)
    try:
        result = services.quiz_submit(
            progress=progress, lesson=lesson, block=block, answers=request.POST
        )
    except services.QuizInvalid as exc:
        return _lesson_render(
            request, lesson, progress, quiz=(block.pk, None), error=str(exc), status=400
        )
    return _lesson_render(request, lesson, progress, quiz=(block.pk, result))


@never_cache
@require_http_methods(["POST"])
def lesson_done(request, pk):
    lesson = _lesson_or_404(pk)
    progress = Progress.from_request(request)
    try:
        services.lesson_complete(progress=progress, lesson=lesson)
    except services.QuizInvalid as exc:
        return _lesson_render(request, lesson, progress, error=str(exc), status=400)
    previous, following = selectors.lesson_neighbours(lesson)
    target = (
        reverse("courses:lesson", args=[following.pk])
        if following
        else reverse("courses:course", args=[lesson.course_id])
    )
    response = redirect(target)
    progress.save(response)
    return response


@never_cache
@require_POST
def certificate_request(request, pk):
    """Issue (or find again) this device's certificate for a finished course."""
    course = _course_or_404(pk)
    progress = Progress.from_request(request)
    try:
        certificate = services.certificate_issue(
            progress=progress, course=course, nickname=request.POST.get("nickname", "")
        )
    except services.CertificateRefused as exc:
        response = render(
            request,
            "elearning_courses/certificate_refused.html",
            {"course": course, "error": str(exc)},
            status=400,
        )
        return response
    response = redirect("courses:certificate", token=certificate.token)
    progress.save(response)
    return response


@require_safe
def certificate(request, token):
    """The printable certificate; the page is its own verification (a code not issued here is
    a 404)."""
    found = Certificate.objects.filter(token=token.upper()).first()
    if found is None:
        raise Http404("no such certificate")
    return render(request, "elearning_courses/certificate.html", {"certificate": found})


@require_safe
def certificate_check(request):
    """Check a certificate's code typed in by someone it was shown to."""
    code = request.GET.get("kode", "").strip().upper()[:20]
    if code and Certificate.objects.filter(token=code).exists():
        return redirect("courses:certificate", token=code)
    return render(
        request,
        "elearning_courses/certificate_check.html",
        {"code": code, "not_found": bool(code)},
        status=404 if code else 200,
    )
