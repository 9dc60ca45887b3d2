"""Exchange rates: global rows (imported from the ECB) and an organization's own rows.

The model moved here from `reports` and kept its table (`reports_exchangerate`): see
`migrations/0001_initial.py`."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery

from accounts.models import Organization
from core.money import validate_rate_currency

RATE_DIGITS = {"max_digits": 20, "decimal_places": 10}


class ExchangeRateQuerySet(models.QuerySet):
    def visible_to(self, organization):
        """Global rows plus the organization's own; never another organization's rows."""
        return self.filter(Q(organization=organization) | Q(organization__isnull=True))

    def in_effect(self, organization, on_date):
        """One row per (base, quote): the rate in effect on `on_date` for `organization`.

        The organization's own latest row on or before the date wins; only a pair the
        organization never priced itself (by then) falls back to the latest global row.
        """
        same_pair = {"base": OuterRef("base"), "quote": OuterRef("quote")}
        own = ExchangeRate.objects.filter(
            organization=organization, effective_date__lte=on_date, **same_pair
        )
        global_ = ExchangeRate.objects.filter(
            organization__isnull=True, effective_date__lte=on_date, **same_pair
        )
        latest_own = own.order_by("-effective_date").values("effective_date")[:1]
        latest_global = global_.order_by("-effective_date").values("effective_date")[:1]
        return self.filter(
            Q(organization=organization, effective_date=Subquery(latest_own))
            | Q(organization__isnull=True, effective_date=Subquery(latest_global)) & ~Exists(own)
        )


class ExchangeRate(models.Model):
    """`1 base = rate quote` from `effective_date` on, until a later row of the same pair.

    `organization` NULL is a global rate (written by `import_rates`); an organization's own
    rows override the global ones for that organization only.
    """

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exchange_rates",
    )
    base = models.CharField(max_length=3, validators=[validate_rate_currency])
    quote = models.CharField(max_length=3, validators=[validate_rate_currency])
    rate = models.DecimalField(**RATE_DIGITS)
    effective_date = models.DateField()
    source = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ExchangeRateQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had while the model lived in `reports`.
        db_table = "reports_exchangerate"
        ordering = ["base", "quote", "-effective_date", "id"]
        indexes = [models.Index(fields=["base", "quote", "effective_date"])]
        constraints = [
            # NULLs never collide in a unique index, so global rows need their own.
            models.UniqueConstraint(
                fields=["organization", "base", "quote", "effective_date"],
                condition=Q(organization__isnull=False),
                name="exchange_rate_unique_per_org_day",
            ),
            models.UniqueConstraint(
                fields=["base", "quote", "effective_date"],
                condition=Q(organization__isnull=True),
                name="exchange_rate_unique_global_day",
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(
                condition=~Q(base=models.F("quote")), name="exchange_rate_distinct_currencies"
            ),
        ]

    def __str__(self):
        scope = "global" if self.organization_id is None else f"org {self.organization_id}"
        return f"1 {self.base} = {self.rate} {self.quote} from {self.effective_date} ({scope})"
