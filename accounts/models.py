"""Users, organizations (tenants) and the memberships that give users a role in one."""

import secrets
import zoneinfo
from datetime import timedelta

from babel import Locale, UnknownLocaleError
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from simple_history.models import HistoricalRecords

from accounts.exceptions import (
    AlreadyMember,
    CodeExpired,
    EmailNotVerified,
    InvalidCode,
    LastAdmin,
    WrongPassword,
)
from core import crypto
from core.errors import ConcurrentModification, DomainError
from core.events import log_event
from core.locking import lock
from core.money import validate_currency
from core.tax_ids import as_validation_error, clean_party_numbers
from core.validators import validate_country

DEFAULT_REMINDER_DAYS = [-3, 0, 7, 14, 30]
# The write-only Stripe secrets of `PATCH organization/` and the columns holding them.
STRIPE_SECRET_FIELDS = {
    "stripe_secret_key": "stripe_secret_key_encrypted",
    "stripe_webhook_secret": "stripe_webhook_secret_encrypted",
}
SYSTEM_ACTOR_EMAIL = "system@fintrack.invalid"


def default_reminder_days():
    return list(DEFAULT_REMINDER_DAYS)


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone.", code="invalid")


def validate_locale(value):
    try:
        Locale.parse(value)
    except (ValueError, UnknownLocaleError) as error:
        raise ValidationError(f"{value!r} is not a known locale.", code="invalid") from error


# Reminder stages are days relative to the due date, at most a year either side.
REMINDER_DAY_LIMIT = 365


def validate_reminder_days(value):
    """Reminder-day validation, its one home (the model field and the API both run it)."""
    if not isinstance(value, list) or not all(
        isinstance(day, int) and not isinstance(day, bool) for day in value
    ):
        raise ValidationError("Reminder days must be a list of whole numbers.", code="invalid")
    limit = REMINDER_DAY_LIMIT
    if len(value) != len(set(value)) or not all(-limit <= day <= limit for day in value):
        raise ValidationError(
            "Reminder days must be distinct and between -365 and 365.", code="invalid"
        )


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def system_actor(self):
        """The actor recorded for changes made by operators' commands and jobs.

        An inactive user with no usable password: it can own history rows but never log in.
        """
        user, _ = self.get_or_create(
            email=SYSTEM_ACTOR_EMAIL,
            defaults={"name": "FinTrack system", "is_active": False, "password": "!"},
        )
        return user

    def get_by_natural_key(self, email):
        # Login is case-insensitive: "Ann@Example.com" finds "ann@example.com".
        return self.get(email__iexact=email)


class User(AbstractUser):
    """A person who signs in with an e-mail address (unique, case-insensitive)."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("e-mail address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    # Proved by the 6-digit code e-mailed at sign-up (spec 20); see EmailVerification.
    email_verified = models.BooleanField(default=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name or self.email

    # --- account security (spec 20) -------------------------------------------------------

    def ensure_email_verified(self):
        """The one check before sending invoices or moving money: with
        `EMAIL_VERIFICATION=required` an unverified user is refused (403
        `email_not_verified`); with `optional` nobody is."""
        if settings.EMAIL_VERIFICATION == "required" and not self.email_verified:
            raise EmailNotVerified()

    def change_password(self, *, current_password, new_password):
        """Set a new password (already validated) if `current_password` is right; else 400
        `wrong_password` and nothing changes. Other sessions keep their refresh tokens."""
        if not self.check_password(current_password):
            raise WrongPassword(attr="current_password")
        self._set_password_now(new_password)
        log_event("user.password_changed", user=self.pk)

    def reset_password(self, *, new_password):
        """Set a new password after a reset (the token already checked) and end every
        session: whoever knew the old password may hold a refresh token."""
        with transaction.atomic():
            self._set_password_now(new_password)
            revoke_refresh_tokens(self)
        log_event("user.password_reset", user=self.pk)

    def _set_password_now(self, new_password):
        self.set_password(new_password)
        self._history_user = self
        # The password hash is part of every outstanding reset token, so this also makes
        # them all unusable (single use).
        self.save(update_fields=["password"])

    def verify_email(self, code: str):
        """Prove the e-mail address with the code last sent. A wrong code counts as an
        attempt (400 `invalid_code`); after MAX_ATTEMPTS of them, or CODE_LIFETIME, the
        code is dead (400 `code_expired`) and a new one must be requested."""
        if self.email_verified:
            return
        with transaction.atomic():
            # Locked, so concurrent guesses are counted one after the other.
            verification = (
                EmailVerification.objects.select_for_update().filter(user_id=self.pk).first()
            )
            if verification is None or not verification.is_alive():
                error = CodeExpired(attr="code")
            elif verification.matches(code):
                verification.delete()
                self.email_verified = True
                self._history_user = self
                self.save(update_fields=["email_verified"])
                log_event("user.email_verified", user=self.pk)
                return
            else:
                # Saved before raising: the wrong guess must count even though it fails.
                verification.attempts += 1
                verification.save(update_fields=["attempts"])
                error = InvalidCode(attr="code")
        raise error


def revoke_refresh_tokens(user):
    """Blacklist every refresh token issued to `user` (their sessions end at the next
    refresh; access tokens live minutes)."""
    # Looked up by name: the token tables belong to the JWT app, which this module (the
    # model layer) does not import.
    OutstandingToken = apps.get_model("token_blacklist", "OutstandingToken")
    BlacklistedToken = apps.get_model("token_blacklist", "BlacklistedToken")
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


class EmailVerification(models.Model):
    """The code last e-mailed to a user to prove their address, stored as a keyed hash only
    (a database reader learns no code). One per user; a new code replaces the old."""

    CODE_LIFETIME = timedelta(hours=24)
    MAX_ATTEMPTS = 5

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self):
        return f"E-mail verification of {self.user_id}"

    @staticmethod
    def hash_code(user_id, code: str) -> str:
        # Keyed by SECRET_KEY and the user: the million possible codes cannot be looked up
        # in a table built once for every user.
        return salted_hmac("accounts.EmailVerification", f"{user_id}:{code}").hexdigest()

    @classmethod
    def issue(cls, user) -> str:
        """A new random 6-digit code for `user` (the previous one stops working)."""
        code = f"{secrets.randbelow(10**6):06d}"
        cls.objects.update_or_create(
            user=user,
            defaults={
                "code_hash": cls.hash_code(user.pk, code),
                "created_at": timezone.now(),
                "attempts": 0,
            },
        )
        return code

    def is_alive(self) -> bool:
        return (
            self.attempts < self.MAX_ATTEMPTS
            and timezone.now() < self.created_at + self.CODE_LIFETIME
        )

    def matches(self, code: str) -> bool:
        return constant_time_compare(self.hash_code(self.user_id, code), self.code_hash)


class Organization(models.Model):
    """A tenant: every business object belongs to exactly one organization."""

    name = models.CharField(max_length=200)
    base_currency = models.CharField(max_length=3, validators=[validate_currency])
    invoice_prefix = models.CharField(
        max_length=10,
        default="INV",
        # Letters, digits and dashes keep invoice numbers safe in file names and URLs.
        validators=[RegexValidator(r"^[A-Za-z0-9-]+$", "Use letters, digits and dashes only.")],
    )
    # Credit notes have their own gapless series (spec 14), shaped like invoice numbers.
    credit_note_prefix = models.CharField(
        max_length=10,
        default="CN",
        validators=[RegexValidator(r"^[A-Za-z0-9-]+$", "Use letters, digits and dashes only.")],
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        default=30, validators=[MaxValueValidator(365)]
    )
    reminder_days = models.JSONField(
        default=default_reminder_days, validators=[validate_reminder_days]
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    locale = models.CharField(max_length=20, default="en_US", validators=[validate_locale])
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, validators=[validate_country])
    tax_id = models.CharField(max_length=50, blank=True)
    email = models.EmailField(blank=True)
    # Spec 18: bank details printed on invoices and carried by e-invoices (BG-16, BT-84/86).
    iban = models.CharField(max_length=34, blank=True)
    bic = models.CharField(max_length=11, blank=True)
    payment_instructions = models.TextField(blank=True, max_length=1000)
    # The organization's own Stripe account (spec 15): Fernet tokens (core/crypto.py), never
    # the plaintext. Write-only in the API, and kept out of the history table.
    stripe_secret_key_encrypted = models.TextField(blank=True, editable=False)
    stripe_webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=list(STRIPE_SECRET_FIELDS.values()))

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        """The admin's check of the tax id and bank details (the API's serializer makes the
        same one)."""
        super().clean()
        try:
            values = {name: getattr(self, name) for name in ("tax_id", "iban", "bic")}
            for name, value in clean_party_numbers(self, values).items():
                setattr(self, name, value)
        except DomainError as error:
            raise as_validation_error(error) from None

    def today(self):
        """The calendar date in the organization's own time zone."""
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(self.time_zone))

    # --- Stripe credentials (spec 15) -----------------------------------------------------

    def set_stripe_secrets(self, **secrets) -> list[str]:
        """Encrypt the given secrets (`stripe_secret_key`, `stripe_webhook_secret`; "" clears
        one) onto this instance, unsaved; return the fields to save. Without
        FIELD_ENCRYPTION_KEY nothing is set (400 `encryption_not_configured`)."""
        changed = []
        for name, value in secrets.items():
            field = STRIPE_SECRET_FIELDS[name]
            setattr(self, field, crypto.encrypt(value) if value else "")
            changed.append(field)
        return changed

    def stripe_secret(self, name) -> str:
        """The plaintext of one Stripe secret, "" when none is stored."""
        token = getattr(self, STRIPE_SECRET_FIELDS[name])
        return crypto.decrypt(token) if token else ""

    @classmethod
    def register(cls, *, admin, actor=None, **fields):
        """Create an organization with `admin` as its first administrator, atomically: an
        organization never exists without an admin. `fields` are the organization's and are
        validated here; `actor` goes into the history (default: `admin`, who signs
        themself up). Registration, the demo data and the benchmark all come through here."""
        actor = actor or admin
        organization = cls(**fields)
        organization.full_clean()
        with transaction.atomic():
            organization._history_user = actor
            organization.save()
            membership = Membership(user=admin, organization=organization, role=Role.ADMIN)
            membership._history_user = actor
            membership.save()
        return organization


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    FINANCE = "finance", "Finance"
    VIEWER = "viewer", "Viewer"


# The role matrix of spec 2, used by the API and the admin alike.
ALL_ROLES = frozenset(Role.values)
WRITE_ROLES = frozenset({Role.ADMIN, Role.FINANCE})
ADMIN_ONLY = frozenset({Role.ADMIN})


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.role}) in {self.organization}"

    # --- lifecycle: every change runs under the organization's row lock -------------------
    # Locking the organization row serializes all membership changes of one tenant, so the
    # "at least one admin" count below is read after any concurrent change has committed:
    # two admins demoting each other at once cannot both succeed.

    @classmethod
    def add(cls, *, organization, user, role, actor):
        """Give `user` a role in `organization`; 409 `already_member` if they have one."""
        with transaction.atomic():
            # NO KEY: serializes membership changes without blocking the organization's
            # invoice and payment inserts (their foreign keys take KEY SHARE locks).
            lock(Organization, no_key=True, pk=organization.pk)
            if cls.objects.filter(organization=organization, user=user).exists():
                raise AlreadyMember()
            membership = cls(organization=organization, user=user, role=role)
            membership._history_user = actor
            try:
                # A savepoint, so a lost race on the unique constraint leaves the
                # transaction usable and is reported as the same business error.
                with transaction.atomic():
                    membership.save()
            except IntegrityError as error:
                raise AlreadyMember() from error
        return membership

    def change_role(self, *, role, actor):
        """Set a new role. Demoting the organization's last admin: 409 `last_admin`."""
        with transaction.atomic():
            membership = self._lock_with_organization()
            if membership.role == role:
                return
            if membership.role == Role.ADMIN:
                membership._ensure_another_admin()
            membership.role = role
            membership._history_user = actor
            membership.save()
        self.refresh_from_db()

    def remove(self, *, actor):
        """Delete the membership. Removing the organization's last admin: 409 `last_admin`."""
        with transaction.atomic():
            membership = self._lock_with_organization()
            if membership.role == Role.ADMIN:
                membership._ensure_another_admin()
            membership._history_user = actor
            membership.delete()

    def _lock_with_organization(self):
        # Lock order (core.locking): organization first, then the membership.
        lock(Organization, no_key=True, pk=self.organization_id)
        try:
            return lock(Membership, pk=self.pk)
        except Membership.DoesNotExist:
            # Removed by a request that committed after this one read it: a lost race
            # (409), not a 500.
            raise ConcurrentModification() from None

    def _ensure_another_admin(self):
        others = Membership.objects.filter(organization_id=self.organization_id, role=Role.ADMIN)
        if not others.exclude(pk=self.pk).exists():
            raise LastAdmin()
