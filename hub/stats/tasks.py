"""django-q2 tasks of the statistics (named by dotted path in the schedule)."""

from .services import stats_compute


def stats_compute_task():
    return stats_compute()
