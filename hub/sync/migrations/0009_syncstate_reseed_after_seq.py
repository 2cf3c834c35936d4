from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0008_generations"),
    ]

    operations = [
        migrations.AddField(
            model_name="syncstate",
            name="reseed_after_seq",
            field=models.BigIntegerField(default=0),
        ),
    ]
