"""Every error code the server answers with (``ApplicationError.code``, the API's ``"code"``).

The scoring core's own codes, for archives and PNGs a team got wrong, are
``evaluation.ERROR_CODES``; an upload refused by the cheap checks answers with one of those.
docs/CONTRACT.md lists both; a test checks that every code raised in the source is here and
documented there.
"""

from __future__ import annotations

ERROR_CODES: dict[str, str] = {
    # Any request (lidserver.errors)
    "invalid": "a field of the request is missing or malformed (detail names the fields)",
    "parse_error": "the request body could not be read as JSON or form data",
    "unsupported_media_type": "the body is neither JSON nor multipart form data",
    "request_too_large": "a form field is larger than the server accepts",
    "too_many_fields": "the request has too many form fields or files",
    "not_authenticated": "no login session or API token",
    "authentication_failed": "the credentials or the API token were not accepted",
    "permission_denied": "the caller may not do this",
    "not_found": "no such object, or the caller may not know it exists (the same answer for both)",
    "method_not_allowed": "the address does not accept that HTTP method",
    "throttled": "too many requests; detail.retry_after_seconds says when to try again",
    "error": "any other HTTP error of the API framework (its message says which)",
    # Accounts and teams
    "invalid_credentials": "the username or password given for a token is wrong",
    "username_taken": "another account has this username",
    "email_taken": "another account has this e-mail address",
    "team_name_taken": "another team of the challenge has this name",
    "already_in_team": "the user is already in a team of this challenge",
    "already_member": "the user is already a member of this team",
    "invalid_invite_code": "no team of the challenge has this invite code",
    "not_captain": "only the team's captain may do this",
    "cannot_remove_self": "the captain cannot remove themself from the team",
    # Submissions
    "no_team": "the caller is not in a team of the challenge",
    "not_team_member": "the caller is not a member of the submission's team",
    "phase_not_open": "the phase has not started yet",
    "invalid_method_name": "the method name is empty or longer than 100 characters",
    "invalid_parameters": "the declared parameter count is not a whole number",
    "too_many_parameters": "the parameter count is not below the rules' limit (MAX_DECLARED_PARAMETERS)",
    "upload_too_large": "the archive is larger than MAX_UPLOAD_BYTES",
    "storage_full": "the server could not store the archive (disk full); nothing was charged",
    "duplicate_archive": "the team uploaded the same archive before; nothing was charged",
    "limit_reached": "the team used all its counted submissions of the phase",
    "daily_limit_reached": "the team used all its submissions of the UTC day",
    "rejected_cap_reached": "too many rejected uploads today",
    "not_scored": "only a scored, visible submission can represent the team",
    "invalid_address": "the address or its query string holds a control character (such as NUL)",
    "invalid_method_description": "the method description is too long or holds characters that are not allowed",
    "invalid_name": "a name (team, affiliation, method) has no visible character, or holds a control or invisible format character",
    "invalid_paging": "limit or offset is not a whole number within its bounds (limit 1-500, offset 0-1,000,000,000)",
    "left_team": "the uploader left the team (or was removed) while the archive was uploading; nothing was stored",
    "service_unavailable": "the database cannot be reached; try again later",
    "text_too_long": "a text is longer than its documented maximum",
    "phase_not_closed": "a phase is frozen at its deadline, not before (freeze_phase on an open phase)",
    "representative_drops_rank": "the chosen representative would drop the team's rank; send confirm to choose it anyway",
    "score_difference": "the reproduced score differs from the board's by more than the tolerance; confirm to verify anyway",
    "manifest_unavailable": "the split's image ids and sizes are not published yet (no ground truth loaded)",
    "scoring_failed": "a submission's error_code when the platform could not score it (not charged)",
    # Leaderboards
    "invalid_board": "the board is neither 'official' nor 'post'",
    "leaderboard_hidden": "the board is hidden until the deadline",
    "invalid_format": "the export format is not csv, json, md or tex",
    "invalid_top": "the number of curves asked for is not a whole number",
    "invalid_ids": "the submissions to compare are not given as ?s=12&s=34 (at most 12)",
    "mixed_tracks": "the submissions compared belong to different tracks",
    # Ground truth (organizers)
    "ground_truth_missing": "the ground truth to load does not exist, or a phase has none loaded",
    "ground_truth_invalid": "the scoring core refused the ground truth's PNGs",
    "ground_truth_count": "the ground truth's image count differs from the phase's",
    "ground_truth_under_media_root": "GROUND_TRUTH_ROOT (or GROUND_TRUTH_CACHE) lies inside MEDIA_ROOT",
    "ground_truth_publish_failed": "the packed ground truth could not be copied to object storage",
    # Re-scoring (organizers)
    "rescore_nothing": "none of the submissions chosen is scored",
    "rescore_not_ready": "only a ready preview can be published",
    "rescore_stale": "the ground truth changed after the preview",
    "rescore_published": "a published run stays as the record and cannot be deleted",
    # Verification
    "verification_not_test": "only test phases are verified",
    "verification_before_deadline": "verification starts after the deadline",
    "verification_decided": "the verification was decided already",
    "verification_no_code": "no code was uploaded to verify",
    "verification_parameters": "the measured parameter count is missing",
    "verification_verdict": "the verdict is neither verified nor disqualified",
    "code_archive_type": "the code archive is not a .zip or .tar.gz",
    "code_archive_too_large": "the code archive is larger than VERIFICATION_MAX_CODE_BYTES",
}
