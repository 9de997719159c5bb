"""The project's two kinds of Celery task; every task is declared with one of these decorators.

``scoring_task``: scoring a submission (CPU-heavy, many at once) and rescuing stuck submissions
(which must not wait behind a re-score run). ``staff_task``: everything else (re-score runs,
rescuing stuck re-score runs, freezing boards, verification e-mails). Both acknowledge a
message only after the task ends and hand it back if the worker dies (``acks_late`` +
``reject_on_worker_lost``: the services' status guards make a second delivery harmless), and both
have soft and hard time limits. Each kind goes to its queue (settings ``TASK_KINDS``: ``scoring``
and ``staff``, so a re-score of a whole phase never waits in front of a team's submission). Bare ``shared_task`` is
banned by a lint rule (pyproject.toml, flake8-tidy-imports) so no task forgets one of these.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.conf import settings

from lidserver.celery import app as celery_app


def _task_kind(kind: str) -> Callable[..., Any]:
    def decorator(func: Callable[..., Any] | None = None, /, **options: Any) -> Any:
        spec = settings.TASK_KINDS[kind]
        defaults = {
            "acks_late": True,
            "reject_on_worker_lost": True,
            "queue": spec["queue"],
            "soft_time_limit": spec["soft_time_limit"],
            "time_limit": spec["time_limit"],
        }
        wrap = shared_task(**{**defaults, **options})
        return wrap(func) if func is not None else wrap

    decorator.__name__ = f"{kind}_task"
    decorator.__doc__ = f"A Celery task of the {kind!r} kind (settings.TASK_KINDS[{kind!r}])."
    return decorator


scoring_task = _task_kind("scoring")
staff_task = _task_kind("staff")


@functools.cache
def _discover_tasks() -> None:
    # Celery's autodiscovery of every app's tasks module. Not loader.import_default_modules(): its
    # Django fixup calls django.setup() again, which re-configures logging in a running process.
    celery_app.autodiscover_tasks(force=True)


def task_named(name: str) -> Any:
    """The registered task called ``name``.

    Services enqueue through this instead of importing a tasks module, which imports the services
    in turn: tasks depend on services, never the other way round.
    """
    _discover_tasks()
    return celery_app.tasks[name]
