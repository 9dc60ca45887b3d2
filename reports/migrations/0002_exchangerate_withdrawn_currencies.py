import django.db.models
from django.db import migrations

import core.money


class Migration(migrations.Migration):
    """Exchange rates also accept codes ISO 4217 has withdrawn that CLDR still lists."""

    dependencies = [("reports", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="exchangerate",
            name="base",
            field=django.db.models.CharField(
                max_length=3, validators=[core.money.validate_rate_currency]
            ),
        ),
        migrations.AlterField(
            model_name="exchangerate",
            name="quote",
            field=django.db.models.CharField(
                max_length=3, validators=[core.money.validate_rate_currency]
            ),
        ),
    ]
