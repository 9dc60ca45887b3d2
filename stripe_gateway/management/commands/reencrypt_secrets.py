"""Key rotation of FIELD_ENCRYPTION_KEY: re-encrypt every stored secret under the first key."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import STRIPE_SECRET_FIELDS, Organization
from core import crypto


class Command(BaseCommand):
    help = (
        "Re-encrypt the organizations' Stripe secrets under the first FIELD_ENCRYPTION_KEY "
        "(run after putting a new key first; then the old keys can be removed)."
    )

    def handle(self, *args, **options):
        fields = list(STRIPE_SECRET_FIELDS.values())
        done = 0
        for pk in Organization.objects.order_by("pk").values_list("pk", flat=True):
            with transaction.atomic():
                organization = Organization.objects.select_for_update().get(pk=pk)
                changed = [field for field in fields if getattr(organization, field)]
                for field in changed:
                    setattr(organization, field, crypto.reencrypt(getattr(organization, field)))
                if changed:
                    # A plain row write: the history leaves these columns out anyway.
                    Organization.objects.filter(pk=pk).update(
                        **{field: getattr(organization, field) for field in changed}
                    )
                    done += 1
        self.stdout.write(f"Re-encrypted the Stripe secrets of {done} organization(s).")
