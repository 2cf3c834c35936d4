"""Village officials (the Editors group) add, change, delete and view the village's own
records of this app; whose record it is, the permission policy decides (the owner only)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

APP_LABEL = "egov_documents"
MODELS = ("legaldocument", )
ACTIONS = ("add", "change", "delete", "view")


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = Group.objects.filter(name="Editors").first()
    if editors is None:
        return
    codenames = [f"{action}_{model}" for model in MODELS for action in ACTIONS]
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label=APP_LABEL, codename__in=codenames)
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    editors = Group.objects.filter(name="Editors").first()
    if editors is not None:
        Permission = apps.get_model("auth", "Permission")
        editors.permissions.remove(
            *Permission.objects.filter(content_type__app_label=APP_LABEL)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("egov_documents", "0001_initial"),
        ("site", "0002_initial_home_and_editor_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
