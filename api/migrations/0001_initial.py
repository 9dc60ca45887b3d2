"""`IdempotencyKey` moves here from `fintrack` and keeps its table, `fintrack_idempotencykey`.

On a database that `fintrack` migrated, the table, its rows and constraint are already
there: this migration only tells Django's state that the model now lives in `api`
(`fintrack.0003` forgets it there). It depends on `fintrack.0002` so that on a new database
the table is created by `fintrack.0001`/`0002` first. The model's content type (and with it
its permissions and the admin's log entries) is relabelled from `fintrack` to `api`.
"""

from django.db import migrations, models

from core.migration_operations import relabel_content_type


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('fintrack', '0002_idempotency_key_lease'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='IdempotencyKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('scope', models.CharField(max_length=100)),
                        ('key', models.CharField(max_length=255)),
                        ('fingerprint', models.CharField(max_length=64)),
                        ('status', models.CharField(choices=[('in_progress', 'In progress'), ('completed', 'Completed')], default='in_progress', max_length=20)),
                        ('lease_token', models.CharField(blank=True, max_length=32)),
                        ('lease_expires_at', models.DateTimeField(blank=True, null=True)),
                        ('response_status', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('response_body', models.BinaryField(blank=True, default=b'')),
                        ('response_content_type', models.CharField(blank=True, max_length=200)),
                        ('created_at', models.DateTimeField(db_index=True)),
                    ],
                    options={
                        'db_table': 'fintrack_idempotencykey',
                        'constraints': [models.UniqueConstraint(fields=('scope', 'key'), name='idempotency_key_unique_per_scope')],
                    },
                ),
            ],
            database_operations=[],
        ),
        relabel_content_type("idempotencykey", old="fintrack", new="api"),
    ]
