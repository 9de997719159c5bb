"""The Celery application. Workers: ``celery -A lidserver worker``; beat: ``celery -A lidserver beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lidserver.settings")

app = Celery("lidserver")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
