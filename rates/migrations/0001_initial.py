"""`ExchangeRate` moves here from `reports` and keeps its table, `reports_exchangerate`.

On a database that `reports` migrated, the table, its rows, indexes and constraints are
already there: this migration only tells Django's state that the model now lives in
`rates` (`reports.0003` forgets it there). It depends on `reports.0002` so that on a new
database the table is created by `reports.0001`/`0002` first. The model's content type
(and with it its permissions, their group and user grants, and the admin's log entries)
is relabelled from `reports` to `rates` rather than left stale and recreated empty.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import core.money
from core.migration_operations import relabel_content_type


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reports", "0002_exchangerate_withdrawn_currencies"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ExchangeRate",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "base",
                            models.CharField(
                                max_length=3, validators=[core.money.validate_rate_currency]
                            ),
                        ),
                        (
                            "quote",
                            models.CharField(
                                max_length=3, validators=[core.money.validate_rate_currency]
                            ),
                        ),
                        ("rate", models.DecimalField(decimal_places=10, max_digits=20)),
                        ("effective_date", models.DateField()),
                        ("source", models.CharField(blank=True, max_length=100)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "organization",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="exchange_rates",
                                to="accounts.organization",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "reports_exchangerate",
                        "ordering": ["base", "quote", "-effective_date", "id"],
                        "indexes": [
                            models.Index(
                                fields=["base", "quote", "effective_date"],
                                name="reports_exc_base_f23f06_idx",
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("organization__isnull", False)),
                                fields=("organization", "base", "quote", "effective_date"),
                                name="exchange_rate_unique_per_org_day",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("organization__isnull", True)),
                                fields=("base", "quote", "effective_date"),
                                name="exchange_rate_unique_global_day",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("rate__gt", 0)),
                                name="exchange_rate_positive",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("base", models.F("quote")), _negated=True),
                                name="exchange_rate_distinct_currencies",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        relabel_content_type("exchangerate", old="reports", new="rates"),
    ]
