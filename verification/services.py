"""Verification of the top teams after a test deadline: asking, uploading the code, deciding.

Each step records who and when and writes an audit entry. A disqualification takes the team off
the official board (``leaderboard_refresh`` leaves disqualified teams out) and asks the team that
moves up into the top N in turn.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from audit.models import AuditLogEntry
from audit.services import audit_record
from challenges.models import Phase
from leaderboard.models import Board, LeaderboardEntry
from leaderboard.services import leaderboard_refresh
from lidserver.errors import ApplicationError
from lidserver.user_text import VERIFICATION_INSTRUCTIONS_MAX, VERIFIER_NOTE_MAX
from submissions.models import Submission
from verification.models import VerificationRequest

State = VerificationRequest.State
CODE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
# Magic bytes: zip (local header or empty archive) and gzip.
_MAGIC = {".zip": (b"PK\x03\x04", b"PK\x05\x06"), ".tar.gz": (b"\x1f\x8b",), ".tgz": (b"\x1f\x8b",)}


def verification_top(phase: Phase | None = None) -> int:
    """How many teams per phase are asked (LID: the top 3)."""
    return int(settings.VERIFICATION_TOP)


def max_code_bytes() -> int:
    return int(settings.VERIFICATION_MAX_CODE_BYTES)


def verification_request_top_teams(
    *, phase: Phase, top: int | None = None, actor: Any = None
) -> list[VerificationRequest]:
    """Ask every team ranked <= ``top`` on the official board that has not been asked yet.

    Ties share a rank, so a tie at the last place asks both teams. Returns the new requests (the
    teams are e-mailed once the transaction commits).
    """
    top = top or verification_top(phase)
    if phase.split != Phase.Split.TEST:
        raise ApplicationError(
            "verification_not_test", f"{phase} is a validation phase; only test phases are verified."
        )
    if not phase.is_past_deadline():
        raise ApplicationError(
            "verification_before_deadline",
            f"The deadline of {phase} ({phase.ends_at:%Y-%m-%d %H:%M} UTC) has not passed; ask for code after it.",
        )
    created = []
    with transaction.atomic():
        # The phase row serialises concurrent askers (a decision and the beat task at once).
        Phase.objects.select_for_update().get(pk=phase.pk)
        asked = set(VerificationRequest.objects.filter(phase=phase).values_list("team_id", flat=True))
        entries = LeaderboardEntry.objects.filter(phase=phase, board=Board.OFFICIAL, rank__lte=top).order_by(
            "rank", "pk"
        )
        for entry in entries:
            if entry.team_id in asked:
                continue
            request = VerificationRequest.objects.create(
                phase=phase, team_id=entry.team_id, submission_id=entry.submission_id, rank_when_requested=entry.rank
            )
            audit_record(
                actor=actor,
                action=AuditLogEntry.Action.VERIFICATION,
                summary=f"Asked {entry.team} (rank {entry.rank}) for its inference code for {phase}.",
                target=request,
                state=request.state,
                rank=entry.rank,
                submission=entry.submission_id,
            )
            created.append(request)
        if created:
            leaderboard_refresh(phase=phase)  # the board shows the verification state
            ids = [r.pk for r in created]
            transaction.on_commit(lambda: _email_requests(ids))
    return created


def _email_requests(request_ids: list[int]) -> None:
    requests = VerificationRequest.objects.select_related("team", "phase__track__challenge").filter(pk__in=request_ids)
    for request in requests:
        recipients = list(
            Membership.objects.filter(team=request.team).exclude(user__email="").values_list("user__email", flat=True)
        )
        url = settings.SITE_URL.rstrip("/") + reverse("verification:upload", args=[request.pk])
        send_mail(
            subject=f"{request.phase}: please upload your inference code for verification",
            message=(
                f"Dear {request.team.name},\n\n"
                f"Your team is ranked {request.rank_when_requested} on the official leaderboard of {request.phase}. "
                "Before the results are final we verify the top teams: please upload the inference code "
                "(a .zip or .tar.gz archive), the measured parameter count of your model (it must be below "
                f"{settings.MAX_DECLARED_PARAMETERS:,}) and instructions to reproduce your submission at\n\n{url}\n\nThe LID organizers"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
            fail_silently=False,
        )


def _check_length(text: str | None, limit: int, what: str) -> None:
    if text is not None and len(text) > limit:
        raise ApplicationError(
            "text_too_long", f"The {what} has {len(text):,} characters; shorten it to at most {limit:,}."
        )


def verification_upload_code(
    *, request: VerificationRequest, user: Any, archive: UploadedFile, declared_parameters: int, instructions: str
) -> VerificationRequest:
    """Store the team's code archive (streamed, SHA-256) and its parameter count; state code_uploaded."""
    _check_length(instructions, VERIFICATION_INSTRUCTIONS_MAX, "instructions")
    if declared_parameters is None or declared_parameters < 0:
        raise ApplicationError("invalid_parameters", "Give your model's parameter count as a whole number.")
    if declared_parameters >= settings.MAX_DECLARED_PARAMETERS:
        raise ApplicationError(
            "too_many_parameters",
            f"Your model has {declared_parameters:,} parameters; the rules allow fewer than {settings.MAX_DECLARED_PARAMETERS:,}, so it "
            "cannot be verified.",
        )
    suffix = _code_suffix(archive)
    digest, size = _hash_and_check(archive, suffix)
    with transaction.atomic():
        request = VerificationRequest.objects.select_for_update().get(pk=request.pk)
        if request.state not in (State.REQUESTED, State.CODE_UPLOADED):
            raise ApplicationError(
                "verification_decided",
                f"This verification was already decided ({request.get_state_display().lower()}); nothing can be uploaded now.",
                http_status=409,
            )
        old_file = request.code_archive.name
        archive.seek(0)
        request.code_archive.save(f"code{suffix}", archive, save=False)
        request.code_archive_name = archive.name[:255]
        request.code_sha256, request.code_size = digest, size
        request.declared_parameters = declared_parameters
        request.instructions = instructions
        request.uploaded_by, request.uploaded_at = user, timezone.now()
        request.state = State.CODE_UPLOADED
        request.save()
        audit_record(
            actor=user,
            action=AuditLogEntry.Action.VERIFICATION,
            summary=f"{request.team} uploaded its inference code ({size:,} bytes) for {request.phase}.",
            target=request,
            state=request.state,
            sha256=digest,
            size=size,
            declared_parameters=declared_parameters,
        )
        if old_file:
            storage, name = request.code_archive.storage, old_file
            transaction.on_commit(lambda: storage.delete(name))
        leaderboard_refresh(phase=request.phase)
    return request


def _code_suffix(archive: UploadedFile) -> str:
    name = (archive.name or "").lower()
    for suffix in CODE_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise ApplicationError("code_archive_type", "Upload the code as a .zip or .tar.gz archive.")


def _hash_and_check(archive: UploadedFile, suffix: str) -> tuple[str, int]:
    if archive.size is not None and archive.size > max_code_bytes():
        raise ApplicationError("code_archive_too_large", _too_large_message())
    digest, size, head = hashlib.sha256(), 0, b""
    for chunk in archive.chunks():
        if not head:
            head = chunk[:4]
        digest.update(chunk)
        size += len(chunk)
        if size > max_code_bytes():
            raise ApplicationError("code_archive_too_large", _too_large_message())
    if not any(head.startswith(magic) for magic in _MAGIC[suffix]):
        raise ApplicationError(
            "code_archive_type", f"The file is not a valid {suffix} archive; pack the code with zip or tar -czf."
        )
    return digest.hexdigest(), size


def _too_large_message() -> str:
    return f"The code archive is larger than {max_code_bytes() // 2**20} MiB; leave out weights and data, or ask us."


def tolerance_points() -> float:
    """How far (in percentage points) a reproduced score may be from the board's without a confirmation."""
    return float(settings.VERIFICATION_SCORE_TOLERANCE_POINTS)


def _board_score(request: VerificationRequest) -> float | None:
    """The team's key score on the official board now, else its verified submission's score."""
    entry = LeaderboardEntry.objects.filter(phase=request.phase, board=Board.OFFICIAL, team=request.team).first()
    return entry.score if entry is not None else request.submission.score


def score_difference_points(reproduced: float | None, board: float | None) -> float | None:
    """reproduced - board, in percentage points (both are fractions), rounded to 1e-6 points."""
    if reproduced is None or board is None:
        return None
    return round((reproduced - board) * 100, 6)


def verification_decide(
    *,
    request: VerificationRequest,
    user: Any,
    verdict: str,
    reproduced_score: float | None,
    measured_parameters: int | None,
    note: str = "",
    confirm_difference: bool = False,
) -> VerificationRequest:
    """Record the verifier's result: verified or disqualified (who, when, what was measured).

    A verification whose reproduced score differs from the board's by more than the tolerance
    (``VERIFICATION_SCORE_TOLERANCE_POINTS``) is refused unless ``confirm_difference`` is given.
    """
    _check_length(note, VERIFIER_NOTE_MAX, "note")
    if verdict not in (State.VERIFIED, State.DISQUALIFIED):
        raise ApplicationError("verification_verdict", "Choose verified or disqualified.")
    if verdict == State.VERIFIED:
        _check_verifiable(measured_parameters)
    with transaction.atomic():
        request = (
            VerificationRequest.objects.select_for_update()
            .select_related("team", "phase", "submission")
            .get(pk=request.pk)
        )
        if request.state == State.DISQUALIFIED:
            raise ApplicationError(
                "verification_decided", f"{request.team} is already disqualified in {request.phase}.", http_status=409
            )
        if verdict == State.VERIFIED and request.state == State.REQUESTED:
            raise ApplicationError(
                "verification_no_code", "The team has not uploaded its code yet; it cannot be verified before that."
            )
        board = _board_score(request)
        difference = score_difference_points(reproduced_score, board)
        beyond = difference is not None and abs(difference) > tolerance_points()
        if verdict == State.VERIFIED and beyond and not confirm_difference:
            raise ApplicationError(
                "score_difference",
                f"The reproduced score ({(reproduced_score or 0.0) * 100:.2f}) differs from the board's ({(board or 0.0) * 100:.2f}) by "
                f"{difference:+.2f} points, more than the tolerance of {tolerance_points():.2f} points. Check the "
                "run, or tick “Verify despite the difference” to record it anyway.".replace("+-", "-"),
                http_status=409,
                detail={"board_score": board, "difference_points": difference, "tolerance_points": tolerance_points()},
            )
        request.state = verdict
        request.reproduced_score = reproduced_score
        request.measured_parameters = measured_parameters
        request.verifier_note = note
        request.board_score = board
        request.score_difference_confirmed = bool(beyond and confirm_difference)
        request.decided_by, request.decided_at = user, timezone.now()
        request.save()
        _audit_decision(request, user)
        leaderboard_refresh(phase=request.phase)
        if verdict == State.DISQUALIFIED:
            # The team left the board; whoever moved into the top N is asked now.
            verification_request_top_teams(phase=request.phase, actor=user)
    return request


def _check_verifiable(measured_parameters: int | None) -> None:
    if measured_parameters is None:
        raise ApplicationError("verification_parameters", "Record the measured parameter count to verify the entry.")
    if measured_parameters >= settings.MAX_DECLARED_PARAMETERS:
        raise ApplicationError(
            "too_many_parameters",
            f"The measured parameter count ({measured_parameters:,}) is not below {settings.MAX_DECLARED_PARAMETERS:,}, so the entry cannot "
            "be verified: disqualify it instead.",
        )


def _audit_decision(request: VerificationRequest, user: Any) -> None:
    disqualified = request.state == State.DISQUALIFIED
    difference = score_difference_points(request.reproduced_score, request.board_score)
    summary = f"{'Disqualified' if disqualified else 'Verified'} {request.team} in {request.phase}"
    if difference is not None:
        where = "beyond" if abs(difference) > tolerance_points() else "within"
        summary += (
            f" (reproduced {(request.reproduced_score or 0.0) * 100:.2f}, board {(request.board_score or 0.0) * 100:.2f}: "
            f"{difference:+.2f} points, {where} the {tolerance_points():.2f} tolerance"
            f"{', confirmed' if request.score_difference_confirmed else ''})"
        ).replace("+-", "-")
    audit_record(
        actor=user,
        action=AuditLogEntry.Action.DISQUALIFIED if disqualified else AuditLogEntry.Action.VERIFICATION,
        summary=summary + ".",
        target=request,
        state=request.state,
        reproduced_score=request.reproduced_score,
        measured_parameters=request.measured_parameters,
        note=request.verifier_note,
        board_score=request.board_score,
        difference_points=difference,
        tolerance_points=tolerance_points(),
        difference_confirmed=request.score_difference_confirmed,
    )


def verification_disqualify_submission_team(
    *, submission: Submission, user: Any, note: str = ""
) -> VerificationRequest:
    """Disqualify the submission's team in its (test) phase, asked before or not (the admin action)."""
    _check_length(note, VERIFIER_NOTE_MAX, "note")
    phase = submission.phase
    if phase.split != Phase.Split.TEST:
        raise ApplicationError("verification_not_test", f"{phase} is a validation phase; only test phases disqualify.")
    entry = LeaderboardEntry.objects.filter(phase=phase, board=Board.OFFICIAL, team_id=submission.team_id).first()
    try:
        with transaction.atomic():
            request, _ = VerificationRequest.objects.get_or_create(
                phase=phase,
                team_id=submission.team_id,
                defaults={"submission": submission, "rank_when_requested": entry.rank if entry else 0},
            )
    except IntegrityError:  # asked concurrently: the row exists now
        request = VerificationRequest.objects.get(phase=phase, team_id=submission.team_id)
    if request.state == State.DISQUALIFIED:
        return request
    if not phase.is_past_deadline():
        # Before the deadline nobody is asked in turn; just record the decision and refresh the board.
        return _disqualify_before_deadline(request, user, note)
    return verification_decide(
        request=request,
        user=user,
        verdict=State.DISQUALIFIED,
        reproduced_score=None,
        measured_parameters=None,
        note=note,
    )


def _disqualify_before_deadline(request: VerificationRequest, user: Any, note: str) -> VerificationRequest:
    with transaction.atomic():
        request = VerificationRequest.objects.select_for_update().select_related("team", "phase").get(pk=request.pk)
        request.state = State.DISQUALIFIED
        request.verifier_note = note
        request.decided_by, request.decided_at = user, timezone.now()
        request.save()
        _audit_decision(request, user)
        leaderboard_refresh(phase=request.phase)
    return request


def verification_request_for_closed_phases() -> list[VerificationRequest]:
    """Ask the top teams of every test phase past its deadline, once it is frozen (the beat task)."""
    created: list[VerificationRequest] = []
    now = timezone.now()
    # Waiting for the freeze means the official board is the final deadline ranking.
    phases = Phase.objects.filter(split=Phase.Split.TEST, ends_at__lte=now, frozen_at__isnull=False)
    for phase in phases.select_related("track__challenge"):
        created += verification_request_top_teams(phase=phase)
    return created
