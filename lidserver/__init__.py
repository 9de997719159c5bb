"""The LID challenge server's Django project: settings, urls, the Celery app and the API plumbing."""

from lidserver.celery import app as celery_app

__all__ = ["celery_app"]
