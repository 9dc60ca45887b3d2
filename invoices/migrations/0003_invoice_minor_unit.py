"""Each invoice stores the ISO 4217 minor unit its figures are computed with.

Existing rows take ISO's value from the pinned table; a code ISO no longer lists takes
CLDR's, as the figures were computed with before. Every currency whose ISO unit differs
from CLDR's has more digits in ISO (IQD 0 -> 3, LAK 0 -> 2 ...), so stored figures stay
exact multiples of the new unit.
"""

import iso4217
from babel.numbers import get_currency_precision
from django.db import migrations, models

ISO = {c.code: c.exponent for c in iso4217.Currency if c.exponent is not None}


def minor_unit(code):
    return ISO[code] if code in ISO else get_currency_precision(code)


def backfill(apps, schema_editor):
    for model_name in ("Invoice", "HistoricalInvoice"):
        model = apps.get_model("invoices", model_name)
        currencies = model.objects.values_list("currency", flat=True).distinct()
        for code in list(currencies):
            # Bulk update on purpose: a data fix, not a change anyone made to an invoice.
            model.objects.filter(currency=code).update(minor_unit=minor_unit(code))


class Migration(migrations.Migration):
    dependencies = [("invoices", "0002_balance_check_rounded")]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="minor_unit",
            field=models.PositiveSmallIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="historicalinvoice",
            name="minor_unit",
            field=models.PositiveSmallIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="invoice",
            name="minor_unit",
            field=models.PositiveSmallIntegerField(editable=False),
        ),
        migrations.AlterField(
            model_name="historicalinvoice",
            name="minor_unit",
            field=models.PositiveSmallIntegerField(editable=False),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(minor_unit__lte=4), name="invoice_minor_unit_fits_storage"
            ),
        ),
    ]
