from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('challenges', '0002_groundtruthnames'),
    ]

    operations = [
        migrations.AddField(
            model_name='groundtruthnames',
            name='sizes',
            field=models.JSONField(default=list, help_text='[height, width] of each image, in the order of names (empty if loaded before).'),
        ),
    ]
