"""Signal handlers only enqueue work after the commit; they do none of it themselves."""

from django.db.models.signals import post_delete, post_save

from hub.core import pagecache
from hub.sync.registry import records_applied

from .models import Block, Course, Lesson, MediaAsset, Question

# the course list (the only cached course page) shows titles, covers and lesson counts; a
# media file arriving changes what the (uncached) course pages say, and costs nothing here
pagecache.invalidate_on_change(
    Course, Lesson, Block, Question, MediaAsset, signals=(post_save, post_delete, records_applied)
)
