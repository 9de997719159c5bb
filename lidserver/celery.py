"""The Celery application. Workers: ``celery -A lidserver worker``; beat: ``celery -A lidserver beat``."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lidserver.settings")

app = Celery("lidserver")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def load_scoring_kernels(**_: object) -> None:
    """Load numba's compiled scoring loops in the worker's main process, before it forks its pool.

    Every pool process then inherits them, instead of importing numba and loading the kernels from
    numba's cache (0.6 s of CPU) on its first submission.
    """
    from evaluation import accelerators

    accelerators.load_kernels()
