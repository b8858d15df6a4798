import os

from django.db import migrations, models


def name_existing_files(apps, schema_editor):
    # Files filed before random names are stored under the name they were uploaded with.
    BorrowerDocument = apps.get_model("fund", "BorrowerDocument")
    for document in BorrowerDocument.objects.only("file"):
        document.original_name = os.path.basename(document.file.name)[:255]
        document.save(update_fields=["original_name"])


class Migration(migrations.Migration):
    dependencies = [("fund", "0007_bounded_input")]

    operations = [
        migrations.AddField(
            model_name="borrowerdocument",
            name="original_name",
            field=models.CharField(default="", editable=False, max_length=255, verbose_name="file name"),
            preserve_default=False,
        ),
        migrations.RunPython(name_existing_files, migrations.RunPython.noop),
    ]
