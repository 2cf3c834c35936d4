"""The renditions task's old dotted path.

django-q2 queues a task by the dotted path of its function, inside a signed pickle (or in Redis
on an upstream with that broker), so a migration cannot rewrite tasks already queued by a hub
that ran the code before images moved to :mod:`hub.media`: this name keeps them runnable.
New tasks are queued as ``hub.media.tasks.image_renditions_task``.
"""

from hub.media.tasks import image_renditions_task  # noqa: F401
