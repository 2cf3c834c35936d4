"""The "Pengelola BUMDes" group (a BUMDes's staff) and the marketplace permissions of village
officials (the Editors group).

Staff: the admin, their BUMDes (view and change), its products (all), its orders and outside
requests (view, and change through the status and answer buttons), and image upload and choice
in the root collection for product photos. Which BUMDes is theirs is a BumdesStaff link;
``marketplace/permissions.py`` narrows everything to it.

Officials (Editors) also add BUMDes and link staff to them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF_GROUP = "Pengelola BUMDes"
STAFF_PERMISSIONS = [
    ("wagtailadmin", "admin", "access_admin"),
    ("marketplace", "bumdes", "view_bumdes"),
    ("marketplace", "bumdes", "change_bumdes"),
    ("marketplace", "product", "add_product"),
    ("marketplace", "product", "change_product"),
    ("marketplace", "product", "delete_product"),
    ("marketplace", "product", "view_product"),
    ("marketplace", "productcategory", "view_productcategory"),
    ("marketplace", "order", "view_order"),
    ("marketplace", "order", "change_order"),
    ("marketplace", "orderrequest", "view_orderrequest"),
    ("marketplace", "orderrequest", "change_orderrequest"),
]
OFFICIAL_EXTRA = [
    ("marketplace", "bumdes", "add_bumdes"),
    ("marketplace", "bumdes", "delete_bumdes"),
    ("marketplace", "bumdesstaff", "add_bumdesstaff"),
    ("marketplace", "bumdesstaff", "change_bumdesstaff"),
    ("marketplace", "bumdesstaff", "delete_bumdesstaff"),
    ("marketplace", "bumdesstaff", "view_bumdesstaff"),
]
# Wagtail's image permissions live on its own Image model and apply per collection
IMAGE_PERMISSIONS = ("add_image", "choose_image")


def _permissions(apps, triples):
    Permission = apps.get_model("auth", "Permission")
    found = []
    for app_label, _model, codename in triples:
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def create_staff_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    staff, _created = Group.objects.get_or_create(name=STAFF_GROUP)
    staff.permissions.add(*_permissions(apps, STAFF_PERMISSIONS))
    root = Collection.objects.filter(depth=1).first()
    if root is not None:
        for codename in IMAGE_PERMISSIONS:
            permission = Permission.objects.get(
                content_type__app_label="wagtailimages", codename=codename
            )
            GroupCollectionPermission.objects.get_or_create(
                group=staff, collection=root, permission=permission
            )

    editors = Group.objects.filter(name="Editors").first()
    if editors is not None:
        editors.permissions.add(*_permissions(apps, STAFF_PERMISSIONS + OFFICIAL_EXTRA))


def remove_staff_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=STAFF_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0001_initial"),
        ("site", "0002_initial_home_and_editor_permissions"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        ("wagtailimages", "0027_image_description"),
    ]

    operations = [migrations.RunPython(create_staff_group, remove_staff_group)]
