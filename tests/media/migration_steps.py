"""What tests/media/test_migration.py runs in a child process, on a database of its own.

A migration's ``RunPython`` (Wagtail's and ours) writes through the default database, so the
throw-away SQLite file has to be the child's ``default``: the parent starts this module with
``HUB_DATA_DIR`` pointing at a temporary directory and reads the JSON it prints.

    python -m tests.media.migration_steps to-main     (the template: tests/harness/templates.py)
    python -m tests.media.migration_steps from-main   (on a copy of it)
"""

import json
import sys
import uuid

import django

# main's leaf migrations of the apps the move touches: the state before hub.media existed
MAIN_LEAVES = {"site": "0003_synced_notices", "marketplace": "0004_plural_names_price_help"}
MEDIA_FIRST = ("media", "0001_initial")
RENDITION_SPECS = ("width-360|format-webp|webpquality-70", "fill-160x120|format-webp")


def _main_targets(graph) -> list[tuple[str, str]]:
    """Every app at main's leaf: site and marketplace as main left them, media absent, every
    other app at its leaf unless that leaf needs media (then what its dependencies bring)."""
    targets = [(app, name) for app, name in MAIN_LEAVES.items()]
    for app, name in graph.leaf_nodes():
        if app in MAIN_LEAVES or app == MEDIA_FIRST[0]:
            continue
        if MEDIA_FIRST not in graph.forwards_plan((app, name)):
            targets.append((app, name))
    return targets


def _migrate(targets):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def _leaves():
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    return MigrationLoader(connection).graph.leaf_nodes()


def _old_rows(apps) -> dict:
    """Images, renditions and what refers to them, made through main's historical models."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    Collection = apps.get_model("wagtailcore", "Collection")
    ReferenceIndex = apps.get_model("wagtailcore", "ReferenceIndex")
    IndexEntry = apps.get_model("wagtailsearch", "IndexEntry")
    Tag = apps.get_model("taggit", "Tag")
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    OldImage = apps.get_model("site", "BalaiImage")
    OldRendition = apps.get_model("site", "BalaiRendition")
    Announcement = apps.get_model("site", "Announcement")
    VillageSettings = apps.get_model("site", "VillageSettings")
    Bumdes = apps.get_model("marketplace", "Bumdes")
    Product = apps.get_model("marketplace", "Product")

    root = Collection.objects.get(depth=1)
    images = {}
    for key in ("photo", "announcement", "logo"):
        images[key] = OldImage.objects.create(
            title=f"gambar {key}",
            file=f"original_images/{key}.png",
            width=640,
            height=480,
            collection_id=root.pk,
            sha256=key.ljust(64, "0"),
        )
    renditions = [
        OldRendition.objects.create(
            image=image, filter_spec=spec, file=f"images/{key}.{i}.webp", width=360, height=270
        ).pk
        for key, image in images.items()
        for i, spec in enumerate(RENDITION_SPECS)
    ]
    bumdes = Bumdes.objects.create(name="BUMDes Maju", slug="maju", logo=images["logo"])
    product = Product.objects.create(
        bumdes=bumdes, name="Beras merah", slug="beras-merah", price=15000, photo_1=images["photo"]
    )
    announcement = Announcement.objects.create(title="Posyandu", image=images["announcement"])
    village, _created = VillageSettings.objects.get_or_create(pk=1)
    village.logo = images["logo"]
    village.save()

    # what refers to an image by content type: a permission granted, Wagtail's reference index,
    # the search index, a tag
    image_type = ContentType.objects.get(app_label="site", model="balaiimage")
    rendition_type = ContentType.objects.get(app_label="site", model="balairendition")
    group = Group.objects.create(name="Pengunggah gambar")
    may_add = Permission.objects.get(content_type=image_type, codename="add_balaiimage")
    group.permissions.add(may_add)
    announcement_type = ContentType.objects.get(app_label="site", model="announcement")
    ReferenceIndex.objects.create(
        content_type=announcement_type,
        base_content_type=announcement_type,
        object_id=str(announcement.pk),
        to_content_type=image_type,
        to_object_id=str(images["announcement"].pk),
        model_path="image",
        content_path="image",
        content_path_hash=uuid.uuid5(uuid.NAMESPACE_URL, "image"),
    )
    IndexEntry.objects.create(
        content_type=image_type, object_id=str(images["photo"].pk), title="gambar photo"
    )
    tag = Tag.objects.create(name="panen", slug="panen")
    TaggedItem.objects.create(tag=tag, content_type=image_type, object_id=images["photo"].pk)
    return {
        "images": {key: image.pk for key, image in images.items()},
        "renditions": sorted(renditions),
        "product": str(product.pk),
        "bumdes": str(bumdes.pk),
        "announcement": str(announcement.pk),
        "image_type": image_type.pk,
        "rendition_type": rendition_type.pk,
        "group": group.pk,
    }


def _found(old: dict) -> dict:
    """The same rows through today's models, which know images only as media.BalaiImage."""
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from wagtail.images import get_image_model
    from wagtail.models import ReferenceIndex
    from wagtail.search.models import IndexEntry

    from hub.site.models import Announcement, VillageSettings
    from marketplace.models import Bumdes, Product

    ContentType.objects.clear_cache()
    Image = get_image_model()
    Rendition = Image.get_rendition_model()
    images = Image.objects.in_bulk(old["images"].values())
    image_type = ContentType.objects.get_for_model(Image)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_key_check")
        broken = cursor.fetchall()
    return {
        "image_model": Image._meta.label,
        "images": sorted(images),
        "renditions": sorted(Rendition.objects.values_list("pk", flat=True)),
        "renditions_of_photo": sorted(
            images[old["images"]["photo"]].renditions.values_list("filter_spec", flat=True)
        ),
        "product_photo": Product.objects.get(pk=old["product"]).photo_1.title,
        "bumdes_logo": Bumdes.objects.get(pk=old["bumdes"]).logo.title,
        "announcement_image": Announcement.objects.get(pk=old["announcement"]).image.title,
        "village_logo": VillageSettings.objects.get().logo.title,
        "image_type": [image_type.pk, image_type.app_label],
        "rendition_type": [
            ContentType.objects.get_for_model(Rendition).pk,
            ContentType.objects.get_for_model(Rendition).app_label,
        ],
        "site_image_types": ContentType.objects.filter(
            app_label="site", model__in=["balaiimage", "balairendition"]
        ).count(),
        "group_permissions": sorted(
            Group.objects.get(pk=old["group"]).permissions.values_list(
                "content_type__app_label", "codename"
            )
        ),
        "references_to_images": ReferenceIndex.objects.filter(to_content_type=image_type).count(),
        "search_entries": IndexEntry.objects.filter(content_type=image_type).count(),
        "photo_tags": list(images[old["images"]["photo"]].tags.names()),
        "foreign_key_problems": broken,
    }


def to_main() -> dict:
    """An empty database migrated to main's leaves: what a hub installed from main holds."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    before = _main_targets(MigrationLoader(connection).graph)
    _migrate(before)
    return {"applied": sorted(f"{app}.{name}" for app, name in before)}


def from_main() -> dict:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    # given a database migrated to main's leaves (a copy of the to-main template; on an empty
    # one this migrates it there first), with images and what refers to them
    before = _main_targets(MigrationLoader(connection).graph)
    executor = _migrate(before)
    old = _old_rows(executor.loader.project_state(before).apps)
    # when it migrates to today's leaves
    _migrate(_leaves())
    found = _found(old)
    # and back to main's leaves (the move is reversible)
    _migrate(before)
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    back = ContentType.objects.get(pk=old["image_type"])
    return {"old": old, "found": found, "back": [back.app_label, back.model]}


if __name__ == "__main__":
    django.setup()
    steps = {"to-main": to_main, "from-main": from_main}
    print(json.dumps(steps[sys.argv[1]](), default=str))
