"""VAT categories of lines and the tax breakdown of a document (spec 18).

A line's `tax_category` is EN 16931's VAT category code (BT-151): `S` standard rate, `Z`
zero rated, `E` exempt, `AE` reverse charge, `O` outside the scope of VAT. Only `S` carries
a rate above zero (EN 16931 BR-S-05, BR-Z-05, BR-E-05, BR-AE-05, BR-O-05); `E`, `AE` and `O`
need an exemption reason (BT-120, BR-E-10, BR-AE-10, BR-O-10), which `S` and `Z` may not
have (BR-S-10, BR-Z-10).

The breakdown (BG-23) sums the lines' stored, already rounded figures per category and rate:
it is never recomputed from a rate, so it always adds up to the document's totals.
"""

from collections import defaultdict

from django.db import models

from core.documents import LINE_NUMBERS, DocumentLine, InvalidLine
from core.money import MONEY_STEP, ZERO, format_plain


class TaxCategory(models.TextChoices):
    STANDARD = "S", "Standard rate"
    ZERO_RATED = "Z", "Zero rated"
    EXEMPT = "E", "Exempt from tax"
    REVERSE_CHARGE = "AE", "Reverse charge"
    OUTSIDE_SCOPE = "O", "Outside the scope of tax"


# The categories that need an exemption reason; every other category refuses one.
NEEDS_REASON = frozenset(
    {TaxCategory.EXEMPT, TaxCategory.REVERSE_CHARGE, TaxCategory.OUTSIDE_SCOPE}
)
# What a client gives for a line of an invoice or credit note, in the API's order.
LINE_INPUT_FIELDS = ("description", *LINE_NUMBERS, "tax_category", "tax_exemption_reason")
# Breakdown order: the categories as listed above.
ORDER = {category: index for index, category in enumerate(TaxCategory.values)}


def default_category(rate):
    """Spec 18: `S` when the rate is above 0, else `Z`."""
    return TaxCategory.STANDARD if rate > 0 else TaxCategory.ZERO_RATED


def category_problem(category, rate, reason):
    """`(field, message)` when a line's category, rate and reason do not agree, else None."""
    if category not in ORDER:
        return "tax_category", f"Tax category is one of {', '.join(TaxCategory.values)}."
    if category == TaxCategory.STANDARD and rate <= 0:
        return "tax_rate", "The standard category (S) needs a tax rate above 0."
    if category != TaxCategory.STANDARD and rate != 0:
        return "tax_rate", f"Category {category} has a tax rate of 0."
    if category in NEEDS_REASON and not reason.strip():
        return "tax_exemption_reason", f"Category {category} needs a tax exemption reason."
    if category not in NEEDS_REASON and reason.strip():
        return "tax_exemption_reason", "Only categories E, AE and O take an exemption reason."
    return None


class TaxedLine(DocumentLine):
    """The document line (spec 5.2) of invoices, credit notes and recurring invoices, with
    its VAT category (spec 18). Bill lines are plain `DocumentLine`s: no category."""

    # Blank only until `check_values` gives it the default of the line's rate.
    tax_category = models.CharField(max_length=2, choices=TaxCategory.choices, blank=True)
    tax_exemption_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True

    def check_values(self):
        """The line's numbers (`DocumentLine.check_values`), then its category: defaulted
        from the rate, and in agreement with the rate and exemption reason."""
        super().check_values()
        self.tax_exemption_reason = (self.tax_exemption_reason or "").strip()
        if not self.tax_category:
            self.tax_category = default_category(self.tax_rate)
        problem = category_problem(self.tax_category, self.tax_rate, self.tax_exemption_reason)
        if problem:
            raise InvalidLine(problem[1], attr=problem[0])


def _get(line, key):
    return line[key] if isinstance(line, dict) else getattr(line, key)


def breakdown_groups(lines):
    """`[(category, rate, taxable, tax, reasons)]` of lines (instances or dicts with the
    stored figures), sorted by category then rate; `reasons` are the distinct exemption
    reasons in line order."""
    groups = defaultdict(lambda: [ZERO, ZERO, []])
    for line in lines:
        # Normalized so 10 and 10.0000 are one rate.
        key = (_get(line, "tax_category"), _get(line, "tax_rate").normalize())
        group = groups[key]
        group[0] += _get(line, "amount") - _get(line, "discount_amount")
        group[1] += _get(line, "tax_amount")
        reason = _get(line, "tax_exemption_reason")
        if reason and reason not in group[2]:
            group[2].append(reason)
    return [
        (category, rate, taxable, tax, reasons)
        for (category, rate), (taxable, tax, reasons) in sorted(
            groups.items(), key=lambda item: (ORDER.get(item[0][0], 99), item[0][1])
        )
    ]


def tax_breakdown(lines, minor_unit):
    """`[{category, rate, taxable, tax}]` of an invoice's or credit note's lines, money in
    the document's stored minor unit, rates with 4 decimal places like the lines'."""
    return [
        {
            "category": category,
            "rate": f"{rate.quantize(MONEY_STEP):f}",
            "taxable": format_plain(taxable, minor_unit),
            "tax": format_plain(tax, minor_unit),
        }
        for category, rate, taxable, tax, _ in breakdown_groups(lines)
    ]


def default_categories(app_label, model_name):
    """A migration step giving the lines written before categories existed spec 18's
    default: S when the rate is above 0, else Z."""

    def run(apps, schema_editor):
        lines = apps.get_model(app_label, model_name).objects
        lines.filter(tax_rate__gt=0).update(tax_category=TaxCategory.STANDARD.value)
        lines.filter(tax_rate__lte=0).update(tax_category=TaxCategory.ZERO_RATED.value)

    return run
