"""Photos and logos name ``media.balaiimage``: state only (see ``site.0004_images_move_to_media``).

In the database the foreign keys keep pointing at the same table, ``site_balaiimage``; altering
them would rebuild ``marketplace_product`` and ``marketplace_bumdes`` on SQLite for nothing.
"""

from django.db import migrations, models


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
        ("marketplace", "0004_plural_names_price_help"),
        ("media", "0001_initial"),
    ]
    # site drops its image model from the state there: nothing may point at it any more
    run_before = [("site", "0004_images_move_to_media")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField("bumdes", "logo", _image_key("logo")),
                migrations.AlterField("product", "photo_1", _image_key("foto utama")),
                migrations.AlterField("product", "photo_2", _image_key("foto 2")),
                migrations.AlterField("product", "photo_3", _image_key("foto 3")),
                migrations.AlterField("product", "photo_4", _image_key("foto 4")),
                migrations.AlterField("product", "photo_5", _image_key("foto 5")),
            ],
            database_operations=[],
        ),
    ]
