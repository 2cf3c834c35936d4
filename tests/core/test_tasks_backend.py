"""The deferred bulk index job: records applied in bulk become searchable, and the search pages
cached before that are dropped."""

from hub.core import pagecache
from hub.core.tasks_backend import SEARCH_TASK, deferred_index, deferred_index_task
from hub.site.models import Announcement


def test_bulk_index_makes_records_searchable_and_drops_cached_pages(
    announcement_factory, django_capture_on_commit_callbacks
):
    # given an announcement saved while indexing is deferred (as a sync batch does), the job
    # not run yet
    with django_capture_on_commit_callbacks(execute=False), deferred_index():
        notice = announcement_factory(title="Jadwal posyandu balita")
    assert not Announcement.objects.search("posyandu")
    before = pagecache.generation()
    # when the cluster runs the deferred job for it
    done = deferred_index_task({SEARCH_TASK: [["site", "announcement", str(notice.pk)]]})
    # then it is found, and cached pages are of an older generation
    assert done["indexed"] == 1
    assert [a.pk for a in Announcement.objects.search("posyandu")] == [notice.pk]
    assert pagecache.generation() != before


def test_inline_deferred_index_is_done_at_the_commit(
    announcement_factory, django_capture_on_commit_callbacks
):
    # given an announcement saved in a deferred block that indexes inline (as the test agent
    # makes records in bulk)
    with django_capture_on_commit_callbacks(execute=True), deferred_index(inline=True):
        notice = announcement_factory(title="Kerja bakti saluran irigasi")
    # then it is found as soon as the commit is done, without a cluster
    assert [a.pk for a in Announcement.objects.search("irigasi")] == [notice.pk]
