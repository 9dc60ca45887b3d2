# The Celery app is loaded with Django, so `shared_task`s bind to it (fintrack/celery.py).
from fintrack.celery import app as celery_app

__all__ = ["celery_app"]
