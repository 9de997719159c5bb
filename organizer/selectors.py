"""What the admin dashboard shows: the scoring queue, stuck and failed submissions, ground truth."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from audit.models import AuditLogEntry
from challenges.models import Phase
from submissions.models import Status, Submission
from submissions.selectors import submissions_stuck

RECENT_FAILED = timedelta(days=7)


def dashboard_summary(*, now: Any = None, failed_limit: int = 20) -> dict[str, Any]:
    now = now or timezone.now()
    counts = Submission.objects.aggregate(
        queued=Count("pk", filter=Q(status=Status.QUEUED)),
        running=Count("pk", filter=Q(status=Status.RUNNING)),
        uploaded=Count("pk", filter=Q(status=Status.UPLOADED)),
    )
    stuck = submissions_stuck(now=now).select_related("team", "phase__track__challenge").order_by("created_at")
    failed = (
        Submission.objects.filter(status=Status.FAILED, finished_at__gte=now - RECENT_FAILED)
        .select_related("team", "phase__track__challenge")
        .order_by("-finished_at")[:failed_limit]
    )
    phases = list(
        Phase.objects.select_related("track__challenge").order_by("track__challenge__slug", "track__number", "split")
    )
    # Uploads refused because a phase had no ground truth (submissions.services writes these entries).
    refused = dict(
        AuditLogEntry.objects.filter(target_type=Phase._meta.label, detail__refused="ground_truth_missing")
        .values_list("target_id")
        .annotate(n=Count("pk"))
        .values_list("target_id", "n")
    )
    for phase in phases:
        phase.refused_without_ground_truth = refused.get(str(phase.pk), 0)  # type: ignore[attr-defined]
    return {
        "queued": counts["queued"],
        "running": counts["running"],
        "uploaded": counts["uploaded"],
        "stuck": list(stuck[:50]),
        "stuck_count": stuck.count(),
        "stuck_after": settings.SCORING_STUCK_AFTER,
        "failed": list(failed),
        "phases": phases,
    }
