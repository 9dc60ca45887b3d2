from django.core.management.base import BaseCommand

from core.outbox import relay


class Command(BaseCommand):
    help = (
        "Hand every due outbox event, webhook delivery and e-mail (new, due for a retry, or "
        "whose lease expired) to the queue: to Celery with CELERY_BROKER_URL, else run here. "
        "For cron when no beat runs (spec 16)."
    )

    def handle(self, *args, **options):
        handed = relay()
        for label, count in handed.items():
            self.stdout.write(f"{label}: {count}")
        self.stdout.write(f"Handed on {sum(handed.values())} rows.")
