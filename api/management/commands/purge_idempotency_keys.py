from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from api.models import IdempotencyKey


class Command(BaseCommand):
    help = (
        "Delete Idempotency-Key records older than IDEMPOTENCY_KEY_TTL (24 hours). They are "
        "already ignored by the API; this reclaims their space. Safe to run from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the expired keys without deleting."
        )

    def handle(self, *args, dry_run=False, **options):
        cutoff = timezone.now() - settings.IDEMPOTENCY_KEY_TTL
        expired = IdempotencyKey.objects.filter(created_at__lt=cutoff)
        if dry_run:
            self.stdout.write(f"{expired.count()} expired idempotency key(s) would be deleted.")
            return
        deleted, _ = expired.delete()
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {deleted} idempotency key(s) older than {cutoff:%Y-%m-%d %H:%M:%S %Z}."
            )
        )
