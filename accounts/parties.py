"""The one shape of the parties an organization deals with: customers and vendors (spec 4, 19).

Both are the same record (name, contact, address, currency and terms that default to the
organization's), archived rather than deleted so their documents keep pointing at them.
"""

from django.core.validators import MaxValueValidator
from django.db import models, transaction
from django.utils import timezone

from core.errors import DomainError
from core.money import UnsupportedCurrency, is_currency, validate_currency
from core.tax_ids import as_validation_error, clean_party_numbers
from core.validators import validate_country
from core.versioning import VersionedModel


class PartyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)


class Party(VersionedModel):
    """Someone an organization bills or is billed by. Archiving hides it but keeps its
    documents."""

    # What a client (API or admin) may set; everything else is derived or system-set.
    INPUT_FIELDS = (
        "name",
        "email",
        "phone",
        "tax_id",
        "address_line1",
        "address_line2",
        "city",
        "postal_code",
        "region",
        "country",
        "currency",
        "payment_terms_days",
        "notes",
    )

    # Each concrete model declares `organization` (a foreign key to `Organization`, PROTECT),
    # so its related name is its own.
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    tax_id = models.CharField(max_length=50, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, validators=[validate_country])
    currency = models.CharField(max_length=3, validators=[validate_currency])
    payment_terms_days = models.PositiveSmallIntegerField(validators=[MaxValueValidator(365)])
    notes = models.TextField(blank=True, max_length=5000)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartyQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        """The admin's check of the tax id (the API's serializer makes the same one)."""
        super().clean()
        try:
            self.tax_id = clean_party_numbers(self, {"tax_id": self.tax_id})["tax_id"]
        except DomainError as error:
            raise as_validation_error(error) from None

    @property
    def is_archived(self):
        return self.archived_at is not None

    def save(self, *args, **kwargs):
        # Defaults follow the organization at creation and stay put afterwards.
        if not self.currency:
            # The organization's currency, which ISO may have withdrawn since it was chosen,
            # is checked like a currency given.
            if not is_currency(self.organization.base_currency):
                raise UnsupportedCurrency(
                    f"The organization's {self.organization.base_currency!r} is not an active "
                    f"ISO 4217 currency; give the {self._meta.verbose_name}'s currency."
                )
            self.currency = self.organization.base_currency
        if self.payment_terms_days is None:
            self.payment_terms_days = self.organization.payment_terms_days
        super().save(*args, **kwargs)

    def archive(self, *, actor, expected_version=None):
        """Soft-delete: the party leaves lists and gets no new documents. Idempotent."""
        self._set_archived_at(
            timezone.now(), actor=actor, reason="archive", expected_version=expected_version
        )

    def restore(self, *, actor, expected_version=None):
        """Undo `archive`. Idempotent."""
        self._set_archived_at(
            None, actor=actor, reason="restore", expected_version=expected_version
        )

    def _set_archived_at(self, when, *, actor, reason, expected_version):
        with transaction.atomic():
            party = self.lock(expected_version=expected_version)
            # Only a real change is saved: no version bump, no history row for a repeat.
            if party.is_archived != (when is not None):
                party.archived_at = when
                party._history_user = actor
                party._change_reason = reason
                party.save()
        self.refresh_from_db()
