"""The ten letter types a fresh hub offers (``egov/letters/seeds.py``) and the "Pelayanan"
group of village officials who review letter requests.

Pelayanan: the admin, review of requests with their personal data (``review_letterrequest``),
and the letter types. The Editors group gets nothing of it: opening a villager's NIK is a
permission of its own, given to the officials who serve letters.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from egov.letters.seeds import LETTER_TYPES, SERVICE_GROUP, SERVICE_PERMISSIONS


def seed(apps, schema_editor):
    LetterType = apps.get_model("egov_letters", "LetterType")
    for spec in LETTER_TYPES:
        fields = dict(spec)
        code = fields.pop("code")
        LetterType.objects.get_or_create(code=code, defaults=fields)

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=SERVICE_GROUP)
    group.permissions.add(
        *[
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in SERVICE_PERMISSIONS
        ]
    )


def unseed(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=SERVICE_GROUP).delete()
    apps.get_model("egov_letters", "LetterType").objects.filter(
        code__in=[spec["code"] for spec in LETTER_TYPES], requests__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("egov_letters", "0001_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
