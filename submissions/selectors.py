"""Reading submissions: a team's quota, its submissions, which of them represent their teams, stuck ones.

Visibility is decided here, once: participants see their own team's submissions; another team's
submission id answers exactly like a missing one (404); organizers see everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Membership
from accounts.roles import user_is_organizer
from leaderboard import ranking
from lidserver.errors import NotFound
from submissions.models import COUNTED_STATUSES, ScoringShard, ShardStatus, Status, Submission, TeamPhase

_RELATED = ("phase__track__challenge", "team", "uploaded_by")


@dataclass(frozen=True)
class Quota:
    """A team's use of one phase: counted submissions overall and today (UTC), and rejected today."""

    limit: int | None
    used: int
    remaining: int | None
    daily_limit: int | None
    used_today: int
    next_allowed_at: dt.datetime | None
    rejected_today: int
    rejected_cap: int


def utc_day_start(now: dt.datetime | None = None) -> dt.datetime:
    now = (now or timezone.now()).astimezone(dt.UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def team_quota(*, team: Any, phase: Any, now: dt.datetime | None = None) -> Quota:
    """Counted submissions (not rejected, not failed) against the phase's limits.

    ``next_allowed_at`` is when the team may upload again: the next UTC midnight when today's
    allowance is used up, None when it may upload now or never again (overall limit reached).
    """
    day_start = utc_day_start(now)
    mine = Submission.objects.filter(team=team, phase=phase)
    used = mine.filter(status__in=COUNTED_STATUSES).count()
    used_today = mine.filter(status__in=COUNTED_STATUSES, created_at__gte=day_start).count()
    rejected_today = mine.filter(status=Status.REJECTED, created_at__gte=day_start).count()
    limit, daily = phase.max_submissions, phase.max_submissions_per_day
    remaining = None if limit is None else max(limit - used, 0)
    next_allowed_at = None
    if remaining != 0 and daily is not None and used_today >= daily:
        next_allowed_at = day_start + dt.timedelta(days=1)
    return Quota(
        limit=limit,
        used=used,
        remaining=remaining,
        daily_limit=daily,
        used_today=used_today,
        next_allowed_at=next_allowed_at,
        rejected_today=rejected_today,
        rejected_cap=phase.max_rejected_per_day,
    )


@dataclass(frozen=True)
class QueuePlace:
    """Where a waiting submission stands: 1 = scored next; ``running`` are being scored right now."""

    position: int
    running: int


def submission_queue_place(*, submission: Submission) -> QueuePlace | None:
    """Its place in the scoring queue (every team and phase), or None when it is not waiting.

    The order is the broker's (:func:`submission_queue_position`: fewer of the team's submissions
    waiting first, then first come); an ``uploaded`` one, whose task is not sent yet, is behind
    every queued one.
    """
    if submission.status == Status.QUEUED:
        position = submission_queue_position(submission=submission) or 1
    elif submission.status == Status.UPLOADED:
        position = Submission.objects.filter(status=Status.QUEUED).count() + 1
    else:
        return None
    running = Submission.objects.filter(status=Status.RUNNING).count()
    return QueuePlace(position=position, running=running)


def submissions_for_team(*, team: Any, phase: Any = None) -> QuerySet[Submission]:
    """The team's submissions, newest first, optionally in one phase."""
    subs = Submission.objects.filter(team=team).select_related(*_RELATED).order_by("-created_at", "-id")
    return subs.filter(phase=phase) if phase is not None else subs


def submissions_for_user(*, user: Any) -> QuerySet[Submission]:
    """Every submission of every team the user is in (one team per challenge), newest first."""
    teams = Membership.objects.filter(user=user).values("team_id")
    return Submission.objects.filter(team__in=teams).select_related(*_RELATED).order_by("-created_at", "-id")


def submission_get_for_user(*, user: Any, submission_id: int) -> Submission:
    """One submission the user may see; another team's id raises the same NotFound as a missing one."""
    sub = Submission.objects.select_related(*_RELATED).filter(pk=submission_id).first()
    if sub is None or not (
        user_is_organizer(user)
        or (
            getattr(user, "is_authenticated", False)
            and Membership.objects.filter(team_id=sub.team_id, user=user).exists()
        )
    ):
        raise NotFound("There is no such submission, or it belongs to another team.")
    return sub


def representative_ids(submissions: Iterable[Submission]) -> set[int]:
    """Which of these submissions represent their team on the post-challenge board
    (``leaderboard.ranking.representatives``: a hidden chosen one does not). Two queries for any list."""
    pairs = {(s.team_id, s.phase_id) for s in submissions}
    if not pairs:
        return set()
    teams, phases = {t for t, _ in pairs}, {p for _, p in pairs}
    chosen: dict[int, dict[int, int | None]] = {}
    for t, p, r in TeamPhase.objects.filter(team_id__in=teams, phase_id__in=phases).values_list(
        "team_id", "phase_id", "representative_id"
    ):
        chosen.setdefault(p, {})[t] = r
    candidates: dict[int, list[ranking.Candidate]] = {}
    scored = Submission.objects.filter(
        team_id__in=teams, phase_id__in=phases, status=Status.SCORED, hidden=False
    ).values_list("id", "team_id", "phase_id", "score", "created_at")
    for sid, t, p, score, created in scored:
        if (t, p) in pairs:
            candidates.setdefault(p, []).append(ranking.Candidate(sid, t, score or 0.0, created))
    return {c.id for p, cands in candidates.items() for c in ranking.representatives(cands, chosen.get(p, {}))}


QUEUE_PRIORITY_STEPS = 10  # Celery message priorities 0 (first) .. 9 on Redis (settings: priority_steps)


def team_queue_priority(*, submission: Submission) -> int:
    """The fair-queue priority of a submission about to be sent to the broker: how many of its
    team's earlier submissions are still queued or running (0 is served first, capped at 9). At the
    deadline rush a team's first submission thus goes before another team's second to fifth."""
    waiting = Submission.objects.filter(
        team_id=submission.team_id, status__in=[Status.QUEUED, Status.RUNNING], pk__lt=submission.pk
    ).count()
    return min(waiting, QUEUE_PRIORITY_STEPS - 1)


def submission_queue_position(*, submission: Submission) -> int | None:
    """1 for the next queued submission to be scored, None unless it is queued. The broker serves a
    lower ``queue_priority`` first (``team_queue_priority``), then the earlier ``queued_at`` (the
    order within one Redis priority list), so the position counts the queued submissions before it
    by (queue_priority, queued_at, id)."""
    if submission.status != Status.QUEUED:
        return None
    # A row queued before queued_at was recorded waits since its upload.
    p, t = submission.queue_priority, submission.queued_at or submission.created_at
    ahead = (
        Submission.objects.filter(status=Status.QUEUED)
        .annotate(waiting_since=Coalesce("queued_at", "created_at"))
        .filter(
            Q(queue_priority__lt=p)
            | Q(queue_priority=p, waiting_since__lt=t)
            | Q(queue_priority=p, waiting_since=t, pk__lt=submission.pk)
        )
    )
    return ahead.count() + 1


def submissions_stuck(*, now: dt.datetime | None = None) -> QuerySet[Submission]:
    """Submissions waiting longer than SCORING_STUCK_AFTER in uploaded or queued (a broker that was
    down, a lost message), or running with an expired lease (a killed worker: its lease is renewed
    every SCORING_LEASE / 3 while it scores) or, without a lease, started before that cutoff: what
    the reaper rescues and the dashboard lists. A submission out in shards (``shards_total`` > 0)
    holds no lease while its shards run (:func:`scoring_shards_stuck` watches them)."""
    now = now or timezone.now()
    cutoff = now - settings.SCORING_STUCK_AFTER
    unleased = Q(status=Status.RUNNING, lease_expires_at__isnull=True, shards_total=0)
    return Submission.objects.filter(
        Q(status=Status.UPLOADED, created_at__lt=cutoff)
        | Q(status=Status.QUEUED, queued_at__lt=cutoff)
        | Q(status=Status.RUNNING, lease_expires_at__lt=now)
        | (unleased & Q(started_at__lt=cutoff))
        | (unleased & Q(started_at__isnull=True, queued_at__lt=cutoff))
    )


def scoring_shards_stuck(*, now: dt.datetime | None = None) -> QuerySet[ScoringShard]:
    """Shards of the current attempt of running submissions that are running with an expired
    lease (their pool process or worker died), are ``queued`` while a shard sent after them was
    claimed over SCORING_LEASE ago (their message died with a worker), or have waited in
    ``queued`` longer than SCORING_STUCK_AFTER (a lost message): what the reaper sends again. A submission whose shards
    are out holds no lease itself (``shards_total`` > 0); its shards are watched instead."""
    now = now or timezone.now()
    cutoff = now - settings.SCORING_STUCK_AFTER
    return ScoringShard.objects.filter(submission__status=Status.RUNNING, attempt=F("submission__attempts")).filter(
        Q(status=ShardStatus.RUNNING, lease_expires_at__lt=now)
        | Q(status=ShardStatus.QUEUED, queued_at__lt=cutoff)
        | Q(status=ShardStatus.QUEUED) & Exists(_overtaken_by(now))
    )


def _overtaken_by(now: dt.datetime) -> QuerySet[ScoringShard]:
    """Shards of the same attempt sent after the outer one (the broker serves a submission's shards,
    all of one priority, first in first out) and claimed over SCORING_LEASE ago: while one of them
    exists, the outer shard's message was taken by a worker that died before claiming it (it waits
    unacknowledged in Redis for an hour): it is sent again."""
    return ScoringShard.objects.filter(
        submission=OuterRef("submission"), attempt=OuterRef("attempt"), started_at__lt=now - settings.SCORING_LEASE
    ).filter(Q(queued_at__gt=OuterRef("queued_at")) | Q(queued_at=OuterRef("queued_at"), index__gt=OuterRef("index")))
