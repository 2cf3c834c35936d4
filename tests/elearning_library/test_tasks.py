"""The scan every minute: its django-q2 schedule and its task."""

import shutil

import pytest
from django_q.models import Schedule

from elearning.library.signal_handlers import SCAN_SCHEDULE_NAME
from elearning.library.tasks import library_scan_task


@pytest.mark.django_db
def test_migrate_schedules_the_scan_every_minute():
    # given a migrated database / when
    schedule = Schedule.objects.get(name=SCAN_SCHEDULE_NAME)
    # then
    assert schedule.func == "elearning.library.tasks.library_scan_task"
    assert schedule.schedule_type == Schedule.MINUTES and schedule.minutes == 1
    assert schedule.repeats == -1


def test_the_task_serves_what_was_dropped(empty_library, small_zim):
    # given
    empty_library.mkdir()
    shutil.copyfile(small_zim, empty_library / "tani.zim")
    (empty_library / "rusak.zim").write_bytes(small_zim.read_bytes()[:1000])
    # when
    summary = library_scan_task()
    # then
    assert summary == "1 served, 1 refused"
