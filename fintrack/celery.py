"""The Celery application (spec 16): `make worker` and `make beat` run it.

Its configuration is Django's settings prefixed `CELERY_` (fintrack/settings.py). Without
`CELERY_BROKER_URL` nothing here connects anywhere: tasks run in the web process after the
commit (core/outbox.py).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fintrack.settings")

app = Celery("fintrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The `tasks` module of every installed app (emails, webhooks, fintrack's periodic jobs).
app.autodiscover_tasks()
