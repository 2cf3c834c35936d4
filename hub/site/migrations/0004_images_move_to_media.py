"""The image model and its renditions leave ``site`` for ``media`` (``hub.media``): state only.

The foreign keys of ``site`` now name ``media.balaiimage``; in the database they keep pointing at
the same table (``site_balaiimage``, see ``media.0001_initial``), so nothing is altered there:
on SQLite an altered foreign key would rebuild each table holding one.

The content types keep their ids and take the new app label, so everything that refers to an
image by content type (permissions, Wagtail's reference index, the search index, tags) follows.
Marketplace's foreign keys move first (its ``0005_images_from_media`` runs before this one), so
no model of the state points at a model that has gone.
"""

from django.db import migrations, models

MOVED_MODELS = ("balaiimage", "balairendition")


def _relabel_content_types(apps, schema_editor, *, old: str, new: str):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED_MODELS:
        moving = ContentType.objects.using(db).filter(app_label=old, model=model).first()
        if moving is None:  # never made (no post_migrate ran yet): post_migrate makes the new one
            continue
        # A migration that creates permissions for every model of the state (marketplace's
        # 0002 on a fresh database) may have run between media.0001 and this one and made a
        # content type for the new label: only its own fresh permissions point at it.
        ContentType.objects.using(db).filter(app_label=new, model=model).delete()
        moving.app_label = new
        moving.save(using=db, update_fields=["app_label"])
    ContentType.objects.clear_cache()


def content_types_to_media(apps, schema_editor):
    _relabel_content_types(apps, schema_editor, old="site", new="media")


def content_types_to_site(apps, schema_editor):
    _relabel_content_types(apps, schema_editor, old="media", new="site")


def _image_key(verbose_name):
    return models.ForeignKey(
        blank=True,
        null=True,
        on_delete=models.deletion.SET_NULL,
        related_name="+",
        to="media.balaiimage",
        verbose_name=verbose_name,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("media", "0001_initial"),
        ("site", "0003_synced_notices"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField("agendaitem", "image", _image_key("gambar")),
                migrations.AlterField("announcement", "image", _image_key("gambar")),
                migrations.AlterField("villagesettings", "logo", _image_key("logo")),
                migrations.DeleteModel("BalaiRendition"),
                migrations.DeleteModel("BalaiImage"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_media, content_types_to_site),
    ]
