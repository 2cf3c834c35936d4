"""The image model and its renditions, moved from the ``site`` app: state only.

Their tables were made by ``site.0001_initial`` and keep their names (``db_table``): a hub
migrated from before the move keeps every row where it is, and a fresh database gets the same
tables the same way. ``site.0004_images_move_to_media`` then removes the models from ``site``
and gives their content types the new label.
"""

import django.db.models.deletion
import modelsearch.index
import taggit.managers
import wagtail.images.models
import wagtail.models.media
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        # the tables exist and the old migrations of site are done
        ("site", "0003_synced_notices"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="BalaiImage",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("title", models.CharField(max_length=255, verbose_name="title")),
                        ("file", wagtail.images.models.WagtailImageField(height_field="height", upload_to=wagtail.images.models.get_upload_to, verbose_name="file", width_field="width")),
                        ("description", models.CharField(blank=True, default="", max_length=255, verbose_name="description")),
                        ("width", models.IntegerField(editable=False, verbose_name="width")),
                        ("height", models.IntegerField(editable=False, verbose_name="height")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="created at")),
                        ("focal_point_x", models.PositiveIntegerField(blank=True, null=True)),
                        ("focal_point_y", models.PositiveIntegerField(blank=True, null=True)),
                        ("focal_point_width", models.PositiveIntegerField(blank=True, null=True)),
                        ("focal_point_height", models.PositiveIntegerField(blank=True, null=True)),
                        ("file_size", models.PositiveIntegerField(editable=False, null=True)),
                        ("file_hash", models.CharField(blank=True, db_index=True, editable=False, max_length=40)),
                        ("sha256", models.CharField(blank=True, db_index=True, editable=False, max_length=64)),
                        ("collection", models.ForeignKey(default=wagtail.models.media.get_root_collection_id, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="wagtailcore.collection", verbose_name="collection")),
                        ("tags", taggit.managers.TaggableManager(blank=True, help_text=None, through="taggit.TaggedItem", to="taggit.Tag", verbose_name="tags")),
                        ("uploaded_by_user", models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name="uploaded by user")),
                    ],
                    options={
                        "verbose_name": "gambar",
                        "verbose_name_plural": "gambar",
                        "db_table": "site_balaiimage",
                        "abstract": False,
                    },
                    bases=(wagtail.images.models.ImageFileMixin, modelsearch.index.Indexed, models.Model),
                ),
                migrations.CreateModel(
                    name="BalaiRendition",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("filter_spec", models.CharField(db_index=True, max_length=255)),
                        ("file", wagtail.images.models.WagtailImageField(height_field="height", storage=wagtail.images.models.get_rendition_storage, upload_to=wagtail.images.models.get_rendition_upload_to, width_field="width")),
                        ("width", models.IntegerField(editable=False)),
                        ("height", models.IntegerField(editable=False)),
                        ("focal_point_key", models.CharField(blank=True, default="", editable=False, max_length=16)),
                        ("image", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="renditions", to="media.balaiimage")),
                    ],
                    options={
                        "db_table": "site_balairendition",
                        "unique_together": {("image", "filter_spec", "focal_point_key")},
                    },
                    bases=(wagtail.images.models.ImageFileMixin, models.Model),
                ),
            ],
            database_operations=[],
        ),
    ]
