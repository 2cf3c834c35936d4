"""The "Pendamping" group (facilitators: teachers, extension workers who run a learning group)
and the learner-profile permissions of village officials (the Editors group).

Facilitators: the admin and the permission to see learners' progress — of the groups that name
them as facilitator only (``LearnerGroup.facilitators``; ``admin/facilitator.py`` narrows it).
Officials (Editors) make the groups, name their facilitators and look after profiles.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FACILITATOR_GROUP = "Pendamping"
FACILITATOR_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("elearning_courses", "view_learner_progress"),
]
OFFICIAL_PERMISSIONS = [
    ("elearning_courses", f"{action}_{model}")
    for model in ("learnergroup", "learner")
    for action in ("add", "change", "delete", "view")
]


def _permissions(apps, pairs):
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in pairs
    ]


def create_facilitator_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    facilitators, _created = Group.objects.get_or_create(name=FACILITATOR_GROUP)
    facilitators.permissions.add(*_permissions(apps, FACILITATOR_PERMISSIONS))
    editors = Group.objects.filter(name="Editors").first()
    if editors is not None:
        editors.permissions.add(*_permissions(apps, OFFICIAL_PERMISSIONS))


def remove_facilitator_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=FACILITATOR_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("elearning_courses", "0002_learner_profiles"),
        ("site", "0002_initial_home_and_editor_permissions"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(create_facilitator_group, remove_facilitator_group)]
