# The idempotency key model now belongs to the api app (api/migrations/0001_initial.py),
# which keeps this table under its name: forget the model here without dropping it.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('fintrack', '0002_idempotency_key_lease'),
        ('api', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='IdempotencyKey')],
            database_operations=[],
        ),
    ]
