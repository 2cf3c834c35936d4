"""Monthly figures per course, with no personal data: devices started and completed, first
answers per question; they go up only."""

import pytest
from django.test import Client

from elearning.courses.models import CourseMonthStat
from elearning.courses.sync import stat_audience
from hub.sync.registry import spec_for

pytestmark = pytest.mark.django_db


def quiz_post(client, quiz, answers):
    questions = list(quiz.questions.all())
    data = {f"q-{q.pk}": a for q, a in zip(questions, answers, strict=False)}
    return client.post(f"/belajar/pelajaran/{quiz.lesson_id}/kuis/{quiz.pk}/", data)


def test_two_phones_make_one_row_of_figures_for_the_month(client, lessons, quiz, home):
    # given one phone that finishes the course, getting the first question wrong first
    client.post(f"/belajar/pelajaran/{lessons[0].pk}/selesai/")
    quiz_post(client, quiz, ["1", "1"])
    quiz_post(client, quiz, ["0", "1"])
    # and another phone that only tries the quiz once, all right
    other = Client()
    quiz_post(other, quiz, ["0", "1"])
    # then the month has one row: 2 started, 1 completed, first answers only
    stat = CourseMonthStat.objects.get()
    assert (stat.started, stat.completed) == (2, 1)
    first, second = quiz.questions.all()
    assert stat.answers == {str(first.pk): [2, 1], str(second.pk): [2, 2]}
    assert stat.course_title == "Budidaya cabai"


def test_figures_go_up_only_and_carry_nothing_personal():
    stat = CourseMonthStat(course_title="x")
    assert stat_audience(stat) is None
    names = {f.name for f in spec_for(CourseMonthStat).wire_fields()}
    assert names == {"course_id_ref", "course_title", "month", "started", "completed", "answers"}


def test_a_refused_answer_counts_nothing(client, quiz, home):
    quiz_post(client, quiz, ["0"])
    assert not CourseMonthStat.objects.exists()
