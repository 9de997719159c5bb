"""``lid submit`` and ``lid status``: upload with progress, then follow the submission to its end."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from lid_client import output
from lid_client.account import api_for
from lid_client.api import Api, ClientError
from lid_client.local_check import check_archive, load_core, manifest_from_server
from lid_client.upload import open_upload

# The rules' parameter limit, for checks made without the server; the server's own value (its
# phase JSON's ``max_declared_parameters``) takes precedence whenever the server answers.
MAX_PARAMETERS = 150_000_000
POLL_SECONDS = 2.0
FINAL = {"scored", "rejected", "failed"}
EXIT_CODES = {"scored": 0, "rejected": 2, "failed": 1}
# 400 answers to an upload that are about the form, not the archive (docs/CONTRACT.md, submissions.services).
NOT_ARCHIVE_CODES = {"invalid", "parse_error", "invalid_parameters", "too_many_parameters", "invalid_method_name"}


def phase_path(challenge: str, track: int, split: str) -> str:
    return f"challenges/{challenge}/tracks/{track}/{split}/"


def cmd_submit(args: argparse.Namespace) -> int:
    path = Path(args.archive)
    if not path.is_file():
        raise ClientError(f"There is no file {path}; give the path of your predictions zip.", exit_code=2)
    api = api_for(args)
    limit = parameter_limit(api, args)
    if not 0 <= args.params < limit:
        raise ClientError(
            f"--params must be a parameter count from 0 to {limit - 1:,}; "
            f"the rules allow models with fewer than {limit:,} parameters.",
            code="too_many_parameters",
        )
    if not args.skip_check:
        _local_check(api, path, args)
    fields = {
        "method_name": args.method,
        "method_description": args.description or "",
        "declared_parameters": str(args.params),
    }
    body = open_upload(fields, path, quiet=args.quiet)
    try:
        submission = api.upload(
            phase_path(args.challenge, args.track, args.split) + "submissions/", body, body.content_type
        )
    except ClientError as exc:
        # The upload's cheap checks answer 400 with the scoring core's code: the archive was rejected.
        if exc.status == 400 and exc.code not in NOT_ARCHIVE_CODES:
            exc.exit_code = 2
        raise
    print(f"Submission {submission['id']} uploaded ({submission['status']}).", file=sys.stderr)
    if args.no_wait:
        print(submission["id"])
        return 0
    submission = follow(api, submission, quiet=args.quiet)
    return show_outcome(submission, as_json=args.json)


def parameter_limit(api: Api, args: argparse.Namespace) -> int:
    """The server's parameter limit for this phase; the built-in one when the server cannot tell."""
    try:
        phase = api.get(phase_path(args.challenge, args.track, args.split), auth=False)
    except ClientError:
        return MAX_PARAMETERS  # the upload itself will say what is wrong with the address or the server
    value = phase.get("max_declared_parameters") if isinstance(phase, dict) else None
    return value if isinstance(value, int) and value > 0 else MAX_PARAMETERS


def _local_check(api: Api, path: Path, args: argparse.Namespace) -> None:
    """What the server checks, before anything is sent: the phase's image ids and sizes when the server
    publishes them (its manifest), the archive, and every PNG as the worker reads it.

    Without the scoring core nothing is uploaded: ``--skip-check`` is the only way to upload unchecked.
    """
    load_core()
    manifest = manifest_from_server(api, phase_path(args.challenge, args.track, args.split), args.track)
    check_archive(path, track=args.track, decode=True, manifest=manifest)


def follow(api: Api, submission: dict[str, Any], *, quiet: bool = False, poll: float = POLL_SECONDS) -> dict[str, Any]:
    """Poll ``GET submissions/<id>/`` until a final status, printing each change on stderr."""
    started = time.monotonic()
    last = None
    try:
        while True:
            status = submission.get("status")
            state = (status, shards_scored(submission))
            if state != last and not quiet:
                place = (
                    f" (number {submission['queue_position']} in the queue)" if submission.get("queue_position") else ""
                )
                done = f" ({state[1]})" if status == "running" and state[1] else ""
                print(f"  {time.monotonic() - started:5.0f} s  {status}{place}{done}", file=sys.stderr)
                last = state
            if status in FINAL:
                return submission
            time.sleep(poll)
            submission = api.get(f"submissions/{submission['id']}/")
    except KeyboardInterrupt:
        raise ClientError(
            f"Stopped following; submission {submission['id']} carries on on the server: "
            f"run `lid status {submission['id']}` later.",
            exit_code=130,
        ) from None


def show_outcome(submission: dict[str, Any], *, as_json: bool = False) -> int:
    status = submission.get("status", "")
    if as_json:
        print(output.as_json(submission))
    else:
        print(submission_text(submission))
    return EXIT_CODES.get(status, 0)


def shards_scored(sub: dict[str, Any]) -> str:
    """``3 of 22 shards scored`` for a submission the server scores in shards, else empty."""
    progress = sub.get("progress") or {}
    if not progress.get("shards_total"):
        return ""
    return f"{progress.get('shards_done', 0)} of {progress['shards_total']} shards scored"


def submission_text(sub: dict[str, Any]) -> str:
    track = int(sub.get("track") or 0)
    head = (
        f"Submission {sub['id']}  {sub.get('challenge', '')} track {track} {sub.get('split', '')}  "
        f"{sub.get('status', '')}"
    )
    lines = [head, f"  method       {sub.get('method_name', '')}  ({sub.get('declared_parameters', 0):,} parameters)"]
    lines.append(f"  archive      {sub.get('archive_name', '')}  sha256 {str(sub.get('sha256', ''))[:12]}")
    lines.append(
        f"  uploaded     {output.web_time(sub.get('created_at'), seconds=True)} UTC by {sub.get('uploaded_by', '')}"
    )
    status = sub.get("status")
    if status == "queued" and sub.get("queue_position"):
        lines.append(f"  queue        number {sub['queue_position']} in the scoring queue")
    if status == "running" and shards_scored(sub):
        lines.append(f"  progress     {shards_scored(sub)}")
    if status == "scored":
        lines.append(output.metrics_block(track, sub.get("metrics") or {}, sub.get("ci")))
        if sub.get("is_representative"):
            lines.append("  This submission represents your team on the leaderboard.")
        # The server's advice on a likely silent mistake (labels shifted by one, an inverted map);
        # it never changes the score.
        for advice in (sub.get("diagnosis") or {}).get("advice") or []:
            lines.append(f"  advice       {advice.get('message', '')}")
    elif status in {"rejected", "failed"}:
        lines.append(f"  {sub.get('error_message') or 'No reason was recorded.'}")
        if sub.get("error_code"):
            lines[-1] += f" [{sub['error_code']}]"
        if status == "rejected":
            lines.append("  A rejected submission does not use one of your slots.")
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    api = api_for(args)
    if args.id is not None:
        submission = api.get(f"submissions/{args.id}/")
        return show_outcome(submission, as_json=args.json) if args.json else _print(submission_text(submission))
    submissions = team_submissions(api, args.challenge, args.track, args.split)
    if args.json:
        print(output.as_json(submissions))
        return 0
    if not submissions:
        print("Your team has no submissions here yet.")
        return 0
    headers = ["id", "track", "split", "status", "score %", "method", "uploaded (UTC)"]
    rows = [
        [
            s["id"],
            s.get("track"),
            s.get("split"),
            s.get("status"),
            output.percent(s.get("score")),
            s.get("method_name", "") + (" *" if s.get("is_representative") else ""),
            output.web_time(s.get("created_at")),
        ]
        for s in submissions
    ]
    print(output.table(headers, rows))
    print("(* = the submission that represents your team on the leaderboard)")
    return 0


def _print(text: str) -> int:
    print(text)
    return 0


def team_submissions(api: Api, challenge: str, track: int | None, split: str | None) -> list[dict[str, Any]]:
    """The caller's team's submissions in the challenge (optionally one track / split), newest first."""
    found = [
        s
        for s in api.get_all("submissions/")
        if s.get("challenge") == challenge
        and (track is None or s.get("track") == track)
        and (split is None or s.get("split") == split)
    ]
    return sorted(found, key=lambda s: str(s.get("created_at", "")), reverse=True)
