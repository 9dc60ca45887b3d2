from django.db import migrations


class Migration(migrations.Migration):
    """`ExchangeRate` now lives in `rates` (`rates.0001`): forget it here, keep the table."""

    dependencies = [
        ("reports", "0002_exchangerate_withdrawn_currencies"),
        ("rates", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ExchangeRate")],
            database_operations=[],
        ),
    ]
