"""Writing submissions: accepting an upload under the team's limit, choosing the representative.

The limit holds under concurrent uploads because every decision that counts submissions is taken
while holding the row lock of the team's :class:`TeamPhase` (``SELECT ... FOR UPDATE``), and the
insert happens under the same lock. Scoring lives in ``submissions.scoring``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from accounts.selectors import team_is_member
from leaderboard.services import leaderboard_refresh
from lidserver.errors import ApplicationError
from lidserver.tasks import task_named
from lidserver.user_text import METHOD_DESCRIPTION_MAX, METHOD_NAME_MAX, name_problem
from submissions.evaluate import SubmissionFormatError, archive_check
from submissions.models import Status, Submission, TeamPhase
from submissions.selectors import Quota, submission_get_for_user, team_queue_priority, team_quota, utc_day_start
from submissions.storage import StagedUpload, archive_delete, archive_store, stage_upload

logger = logging.getLogger(__name__)
SCORE_TASK = "submissions.tasks.score_submission"
SHARD_TASK = "submissions.tasks.score_submission_shard"
MERGE_TASK = "submissions.tasks.merge_submission_shards"


def submission_create(
    *,
    phase: Any,
    team: Any,
    user: Any,
    uploaded_file: UploadedFile,
    method_name: str,
    method_description: str = "",
    declared_parameters: Any,
) -> Submission:
    """Accept an upload: check it cheaply, count it under the team's lock, store it, queue scoring.

    A badly formed archive is recorded as a ``rejected`` submission (no slot used) and then raises
    the scoring core's error code as a 400.
    """
    _check_member_and_open(phase=phase, team=team, user=user)
    method_name = _checked_method_name(method_name)
    method_description = _checked_method_description(method_description)
    declared_parameters = _checked_parameters(declared_parameters)
    _check_size(uploaded_file)
    with stage_upload(uploaded_file) as staged:
        format_error = _format_error(phase=phase, path=staged.path)
        fields = dict(
            phase=phase,
            team=team,
            uploaded_by=user,
            archive_name=(uploaded_file.name or "archive.zip")[:255],
            sha256=staged.sha256,
            size=staged.size,
            method_name=method_name,
            method_description=method_description,
            declared_parameters=declared_parameters,
        )
        if format_error is not None:
            _record_rejected(fields, format_error)
            raise ApplicationError(format_error.code, format_error.message)
        return _accept(fields, staged)


def _check_member_and_open(*, phase: Any, team: Any, user: Any) -> None:
    if team.challenge_id != phase.track.challenge_id or not team_is_member(team=team, user=user):
        raise ApplicationError(
            "not_team_member",
            f"You are not a member of team “{team.name}” in this challenge; join the team to submit for it.",
            http_status=403,
        )
    if not phase.has_ground_truth:
        _refuse_without_ground_truth(phase=phase, team=team, user=user)
    if not phase.is_open():
        raise _phase_not_open_error(phase)


def _phase_not_open_error(phase: Any) -> ApplicationError:
    return ApplicationError(
        "phase_not_open",
        f"Track {phase.track.number} {phase.split} opens on {phase.starts_at:%Y-%m-%d %H:%M} UTC; "
        "upload again after that.",
        detail={"starts_at": phase.starts_at.isoformat()},
        http_status=409,
    )


def _refuse_without_ground_truth(*, phase: Any, team: Any, user: Any) -> None:
    """Nothing could score the upload: refuse it before a slot or a byte is used, and tell organizers."""
    from audit.models import AuditLogEntry
    from audit.services import audit_record

    audit_record(
        actor=user,
        action=AuditLogEntry.Action.OTHER,
        target=phase,
        summary=f"Upload by {user.username} (team {team.name}) refused: {phase} has no ground truth loaded.",
        refused="ground_truth_missing",
    )
    raise ApplicationError(
        "ground_truth_missing",
        f"Track {phase.track.number} {phase.split} cannot score uploads yet: the organizers have not loaded "
        "its ground truth. Nothing was stored and no submission was used; upload again once the track page "
        "says it is loaded.",
        http_status=409,
    )


def _checked_method_name(value: str) -> str:
    name = (value or "").strip()
    if not name or len(name) > METHOD_NAME_MAX:
        raise ApplicationError(
            "invalid_method_name",
            f"Give your method a name of 1 to {METHOD_NAME_MAX} characters (it is shown on the leaderboard).",
        )
    problem = name_problem(name, "method name")
    if problem is not None:
        raise ApplicationError("invalid_method_name", problem)
    return name


def _checked_method_description(value: str) -> str:
    description = value or ""
    if len(description) > METHOD_DESCRIPTION_MAX:
        raise ApplicationError(
            "invalid_method_description",
            f"The method description has {len(description):,} characters; shorten it to at most "
            f"{METHOD_DESCRIPTION_MAX:,}.",
            detail={"length": len(description), "limit": METHOD_DESCRIPTION_MAX},
        )
    return description


def _checked_parameters(value: Any) -> int:
    try:
        number = int(value)
        if isinstance(value, float) and number != value:
            raise ValueError
    except (TypeError, ValueError):
        raise ApplicationError(
            "invalid_parameters",
            "The declared parameter count must be a whole number, e.g. 25557032.",
        ) from None
    limit = settings.MAX_DECLARED_PARAMETERS
    if not 0 <= number < limit:
        raise ApplicationError(
            "too_many_parameters",
            f"Your model's parameter count must be fewer than {limit:,} (you declared {number:,}); "
            "the rules allow only smaller models.",
            detail={"declared_parameters": number, "limit": limit},
        )
    return number


def _check_size(uploaded_file: UploadedFile) -> None:
    if uploaded_file.size is not None:
        _check_size_bytes(uploaded_file.size)


def _check_size_bytes(size: int) -> None:
    limit = settings.MAX_UPLOAD_BYTES
    if size > limit:
        raise ApplicationError(
            "upload_too_large",
            f"The archive is {size:,} bytes; the largest accepted is {limit:,} bytes. "
            "Save the PNGs with compression and upload again.",
            detail={"size": size, "limit": limit},
            http_status=413,
        )


def _expected_names(phase: Any) -> Any:
    """The ground truth's image ids, saved when it was loaded, so a missing file is caught at upload.

    Only the ids stored in the database: the web process never opens GROUND_TRUTH_ROOT.
    """
    from challenges.models import GroundTruthNames

    if not phase.ground_truth_path:
        return None
    row = GroundTruthNames.objects.filter(phase=phase).only("names").first()
    return row.names if row is not None and row.names else None


def _format_error(*, phase: Any, path: str) -> SubmissionFormatError | None:
    return archive_check(path=path, expected_names=_expected_names(phase))


def _lock_team_phase(*, team: Any, phase: Any) -> TeamPhase:
    """Create the team's row if needed (concurrent creators do not collide) and lock it."""
    TeamPhase.objects.bulk_create([TeamPhase(team=team, phase=phase)], ignore_conflicts=True)
    return TeamPhase.objects.select_for_update().get(team=team, phase=phase)


def _check_rejected_cap(*, team: Any, phase: Any) -> None:
    cap = phase.max_rejected_per_day
    rejected = Submission.objects.filter(
        team=team, phase=phase, status=Status.REJECTED, created_at__gte=utc_day_start()
    ).count()
    if rejected >= cap:
        raise _rejected_cap_error(phase=phase, rejected=rejected, cap=cap)


def _rejected_cap_error(*, phase: Any, rejected: int, cap: int) -> ApplicationError:
    return ApplicationError(
        "rejected_cap_reached",
        f"Your team's last {rejected} uploads today for track {phase.track.number} {phase.split} were "
        f"rejected, the most allowed per UTC day is {cap}; check your archive with "
        f"`lid validate --track {phase.track.number} PRED.zip` (or `python -m evaluation score`) "
        "and upload again tomorrow.",
        detail={"rejected_today": rejected, "cap": cap},
        http_status=409,
    )


def _lock_membership(*, team: Any, user: Any) -> None:
    """Under the team's lock, check again that the uploader is a member, and hold the membership row.

    An upload takes seconds to minutes; the member may leave (or be removed) meanwhile. Locking the
    membership row makes a concurrent leave wait for this transaction: either the leave came first
    and the upload is refused here, or the upload is stored and answered before the leave proceeds.
    """
    if not Membership.objects.select_for_update().filter(team=team, user=user).exists():
        raise ApplicationError(
            "left_team",
            f"You are no longer a member of team “{team.name}”: you left it (or were removed) while the archive "
            "was uploading. Nothing was stored and no submission was used; join a team and upload again.",
            http_status=403,
        )


def _record_rejected(fields: dict[str, Any], error: SubmissionFormatError) -> None:
    """A rejected upload is kept as a row (the team sees it; the daily cap counts it), not as a file."""
    now = timezone.now()
    with transaction.atomic():
        _lock_team_phase(team=fields["team"], phase=fields["phase"])
        _lock_membership(team=fields["team"], user=fields["uploaded_by"])
        _check_rejected_cap(team=fields["team"], phase=fields["phase"])
        Submission.objects.create(
            **fields, status=Status.REJECTED, error_code=error.code, error_message=error.message, finished_at=now
        )


def _check_duplicate(fields: dict[str, Any]) -> None:
    earlier = (
        Submission.objects.filter(team=fields["team"], phase=fields["phase"], sha256=fields["sha256"])
        .exclude(status__in=[Status.FAILED, Status.REJECTED])
        .order_by("created_at")
        .first()
    )
    if earlier is not None:
        raise ApplicationError(
            "duplicate_archive",
            f"This archive is identical to submission {earlier.pk}, which your team already uploaded; "
            "it was not charged. Upload a different archive.",
            detail={"submission_id": earlier.pk},
            http_status=409,
        )


def _check_limits(*, team: Any, phase: Any) -> None:
    error = _limit_error(phase=phase, quota=team_quota(team=team, phase=phase))
    if error is not None:
        raise error


def _limit_error(*, phase: Any, quota: Quota) -> ApplicationError | None:
    """The refusal when the team's counted submissions (overall, then today's) are used up; else None."""
    where = f"track {phase.track.number} {phase.split}"
    if quota.limit is not None and quota.used >= quota.limit:
        return ApplicationError(
            "limit_reached",
            f"Your team has used all {quota.limit} submissions for {where}; no more will open in this phase. "
            "Rejected and failed submissions do not count, and you can still choose which scored submission "
            "represents your team.",
            detail={"limit": quota.limit, "used": quota.used},
            http_status=409,
        )
    if quota.daily_limit is not None and quota.used_today >= quota.daily_limit:
        when = quota.next_allowed_at
        return ApplicationError(
            "daily_limit_reached",
            f"Your team has used all {quota.daily_limit} submissions allowed per UTC day for {where}; "
            f"the next is allowed from {when:%Y-%m-%d %H:%M} UTC.",
            detail={
                "daily_limit": quota.daily_limit,
                "used_today": quota.used_today,
                "next_allowed_at": when.isoformat().replace("+00:00", "Z") if when else None,
            },
            http_status=409,
        )
    return None


def upload_refusal(*, team: Any, phase: Any, quota: Quota | None = None) -> ApplicationError | None:
    """Why an upload by ``team`` to ``phase`` would be refused right now whatever the archive, or None.

    The same rules (and sentences) the upload applies under the team's lock: the phase not open
    yet, today's rejected uploads at their cap, the counted submissions used up (overall or today).
    Pages and the pre-check call this to say so before a team picks a file; pass ``quota`` when it
    was read already (``submissions.selectors.team_quota``).
    """
    quota = quota if quota is not None else team_quota(team=team, phase=phase)
    if not phase.is_open():
        return _phase_not_open_error(phase)
    if quota.rejected_today >= quota.rejected_cap:
        return _rejected_cap_error(phase=phase, rejected=quota.rejected_today, cap=quota.rejected_cap)
    return _limit_error(phase=phase, quota=quota)


def _accept(fields: dict[str, Any], staged: StagedUpload) -> Submission:
    team, phase = fields["team"], fields["phase"]
    stored_name = archive_store(staged, Submission(phase=phase, team=team))
    try:
        with transaction.atomic():
            _lock_team_phase(team=team, phase=phase)
            _lock_membership(team=team, user=fields["uploaded_by"])
            _check_rejected_cap(team=team, phase=phase)
            _check_duplicate(fields)
            _check_limits(team=team, phase=phase)
            # `uploaded` until the scoring task is handed to the broker (enqueue_scoring, on commit).
            sub = Submission(**fields, status=Status.UPLOADED)
            sub.archive.name = stored_name
            sub.save()
            submission_id = sub.pk
            transaction.on_commit(lambda: enqueue_scoring(submission_id=submission_id))
    except BaseException:
        # No orphan files: whatever refused or broke the insert, the stored archive goes too.
        archive_delete(stored_name)
        raise
    # On commit it was queued (or, with tasks run in-process, already scored). Read back without a
    # membership check: the answer describes what was stored even if the uploader has left since.
    return Submission.objects.select_related("phase__track__challenge", "team", "uploaded_by").get(pk=sub.pk)


def enqueue_scoring(*, submission_id: int, countdown: float | None = None) -> None:
    """Send the scoring task, then mark a just-uploaded row ``queued``.

    If the broker cannot be reached the row keeps its status (``uploaded``, or ``queued`` for a
    retry) and beat's ``requeue_stuck_submissions`` sends it again later. The worker accepts an
    ``uploaded`` row too, so a message that arrives before the update below is not lost; the update
    is guarded on ``uploaded`` and leaves a row the worker has claimed alone.

    The message's priority is the fair-queue rule (``team_queue_priority``): a team's earlier
    submissions still waiting push its next one back, behind other teams' first ones.
    """
    try:
        sub = Submission.objects.get(pk=submission_id)
        priority = team_queue_priority(submission=sub)
        Submission.objects.filter(pk=submission_id).update(queue_priority=priority)
        task_named(SCORE_TASK).apply_async(
            kwargs={"submission_id": submission_id}, countdown=countdown, priority=priority
        )
    except Exception:
        logger.exception(
            "Could not enqueue scoring of submission %s; requeue_stuck_submissions will retry", submission_id
        )
        return
    Submission.objects.filter(pk=submission_id, status=Status.UPLOADED).update(
        status=Status.QUEUED, queued_at=timezone.now()
    )


def enqueue_shards(*, shard_ids: list[int]) -> None:
    """Send the shards of a submission as one Celery group, with the submission's fair-queue
    priority (whichever pool processes are idle take them). A message that cannot be sent leaves
    its shard queued: beat's ``requeue_stuck_submissions`` sends it again later.
    """
    from celery import group

    try:
        priority = (
            Submission.objects.filter(shards__pk__in=shard_ids).values_list("queue_priority", flat=True).first() or 0
        )
        task = task_named(SHARD_TASK)
        group(task.si(shard_id=pk).set(priority=priority) for pk in shard_ids).apply_async()
    except Exception:
        logger.exception("Could not send shards %s; requeue_stuck_submissions will retry", shard_ids)


def enqueue_merge(*, submission_id: int, attempt: int) -> None:
    """Send the merge of a submission whose shards are all scored, ahead of every waiting shard
    (priority 0). If it cannot be sent, the submission's lease expires and beat re-queues it."""
    try:
        task_named(MERGE_TASK).apply_async(kwargs={"submission_id": submission_id, "attempt": attempt}, priority=0)
    except Exception:
        logger.exception("Could not send the merge of submission %s; its lease will expire", submission_id)


def submission_set_representative(*, submission: Any, user: Any, confirm: bool = False) -> Submission:
    """Make a scored submission of the user's own team the one shown for it on the post-challenge board
    (and on the official board while the phase is open).

    A choice that would drop the team's rank is refused with ``representative_drops_rank`` (409)
    unless ``confirm`` is given.
    """
    sub = submission_get_for_user(user=user, submission_id=submission.pk)
    if not team_is_member(team=sub.team, user=user):
        raise ApplicationError(
            "not_team_member",
            "Only members of the team that made this submission can choose its representative.",
            http_status=403,
        )
    with transaction.atomic():
        team_phase = _lock_team_phase(team=sub.team, phase=sub.phase)
        sub = Submission.objects.select_related("phase__track__challenge", "team", "uploaded_by").get(pk=sub.pk)
        if sub.status != Status.SCORED or sub.hidden:
            raise ApplicationError(
                "not_scored",
                f"Only a scored submission can represent your team; submission {sub.pk} is {sub.status}.",
                http_status=409,
            )
        if not confirm:
            _refuse_a_rank_drop(sub)
        team_phase.representative = sub
        team_phase.save(update_fields=["representative"])
        leaderboard_refresh(phase=sub.phase)
    return sub


def _refuse_a_rank_drop(sub: Submission) -> None:
    """Raise when making ``sub`` the representative would lower the team's rank on a board it changes.

    Ranks are read from the stored boards (competition ranking: one more than the number of other
    teams with a strictly higher score).
    """
    from leaderboard.models import Board, LeaderboardEntry

    boards = [Board.POST]
    if not sub.phase.is_frozen and not sub.phase.is_past_deadline() and sub.created_at < sub.phase.ends_at:
        boards.insert(0, Board.OFFICIAL)
    entries = LeaderboardEntry.objects.filter(phase=sub.phase, board__in=boards)
    mine = {e.board: e for e in entries.filter(team_id=sub.team_id)}
    drops = []
    for board in boards:
        entry = mine.get(board)
        if entry is None or entry.submission_id == sub.pk or (sub.score or 0.0) >= entry.score:
            continue
        rank_new = 1 + entries.filter(board=board, score__gt=sub.score or 0.0).exclude(team_id=sub.team_id).count()
        if rank_new > entry.rank:
            drops.append((board, entry, rank_new))
    if not drops:
        return
    _, entry, rank_new = max(drops, key=lambda d: d[2] - d[1].rank)
    names = {Board.OFFICIAL: "official", Board.POST: "post-challenge"}
    where = " and ".join(names[b] for b, _, _ in drops) + (" leaderboards" if len(drops) > 1 else " leaderboard")
    raise ApplicationError(
        "representative_drops_rank",
        f"Submission {sub.pk} scores {(sub.score or 0.0) * 100:.2f}, below your team's current entry "
        f"({entry.score * 100:.2f}): your team would drop from rank {entry.rank} to rank {rank_new} on the {where}. "
        "Confirm to choose it anyway.",
        http_status=409,
        detail={
            "rank_now": entry.rank,
            "rank_new": rank_new,
            "boards": [b for b, _, _ in drops],
            "confirm": "Send confirm=true.",
        },
    )
