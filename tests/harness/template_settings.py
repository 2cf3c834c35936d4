"""Settings for building a template (:mod:`.templates`): the hub's own, with django-q2's tasks
run inline. Queued tasks are signed with the secret key, and a template keeps no key of its hubs:
a task left in its queue (the demo photos' renditions) would be refused by every copy."""

from hub.settings.main import *  # noqa: F403
from hub.settings.main import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
