"""Settings entry point: the role (``HUB_ROLE=village|upstream``) picks the module.

``DJANGO_SETTINGS_MODULE=hub.settings.main`` is what the run script, gunicorn, the django-q2
cluster and Ansible's environment file use. Tests use ``hub.settings.test``.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_role = os.environ.get("HUB_ROLE", "village")

if _role == "village":
    from .village import *  # noqa: F403
elif _role == "upstream":
    from .upstream import *  # noqa: F403
else:
    raise ImproperlyConfigured(f"HUB_ROLE must be 'village' or 'upstream', not {_role!r}.")
