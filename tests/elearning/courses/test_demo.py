"""The demo course: loaded once, as if it came from the province."""

import pytest

from elearning.courses.demo import load_demo
from elearning.courses.models import Course, LearnerGroup, Question

pytestmark = pytest.mark.django_db


def test_the_demo_course_loads_once_and_belongs_to_the_province(village):
    # when it is loaded twice
    first = load_demo()
    second = load_demo()
    # then there is one course, owned by the province, with a quiz
    course = Course.objects.get()
    assert course.origin == village.village_code[:2] and not course.is_local
    assert Question.objects.filter(block__lesson__course=course).count() == 2
    assert "sudah ada" in second[0] and first != second
    # and one learning group to join with a learner profile
    assert list(LearnerGroup.objects.values_list("name", flat=True)) == ["Kelompok Tani Maju"]
