"""Leaderboard pages and their polling JSON: parse, call a selector, render."""

from __future__ import annotations

import gzip
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from accounts.roles import user_is_organizer
from leaderboard import compare as compare_selectors
from leaderboard import memo
from leaderboard.exports import FORMATS
from leaderboard.models import Board
from leaderboard.selectors import (
    TRACK_COLUMNS,
    board_check_visible,
    board_choice,
    board_curves,
    board_version,
    format_metric,
    leaderboard_rows,
    phase_for_board,
)
from lidserver.errors import ApplicationError
from lidserver.health import failed_services
from verification.models import VerificationRequest

VERIFICATION_LABELS = dict(VerificationRequest.State.choices)

# Stored boards are cached under their version, so a cached copy is never stale; the timeout only
# bounds how long a renamed team keeps its old name on the page. The version and the phase are
# themselves remembered for a second or two per process: a landed score shows within about a
# second plus the poll interval, and a cached read of a board touches no database at all.
CACHE_SECONDS = 30
VERSION_SECONDS = 1
PHASE_SECONDS = 2
POLL_MS = 4000


def _phase(slug: str, number: int, split: str) -> Any:
    key = f"leaderboard:phase:{slug}:{number}:{split}"
    phase = memo.get(key)
    if phase is None:
        phase = phase_for_board(slug=slug, number=number, split=split)
        memo.put(key, phase, PHASE_SECONDS)
    return phase


def _version(phase: Any, board: str) -> str:
    key = f"leaderboard:version:{phase.pk}:{board}"
    version = memo.get(key)
    if version is None:
        version = board_version(phase=phase, board=board)
        memo.put(key, version, VERSION_SECONDS)
    return version


def _anonymous(request: HttpRequest) -> bool:
    """No login and no session: the page is the same for every such visitor, so it can be cached whole."""
    return not request.user.is_authenticated and settings.SESSION_COOKIE_NAME not in request.COOKIES


def _cached_response(request: HttpRequest, key: str, body: bytes, content_type: str) -> HttpResponse:
    """``body``, gzipped once per version for clients that accept it (browsers do): a board is 50-100 kB."""
    if "gzip" not in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(body, content_type=content_type)
    else:
        packed = memo.get(f"{key}:gz")
        if packed is None:
            packed = gzip.compress(body, compresslevel=6)
            memo.put(f"{key}:gz", packed, CACHE_SECONDS)
        response = HttpResponse(packed, content_type=content_type)
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """Docker's health check (bin/healthcheck): "ok", or 503 naming what is unreachable (lidserver.health)."""
    failed = failed_services()
    if failed:
        return HttpResponse(f"unavailable: {' and '.join(failed)} unreachable\n", content_type="text/plain", status=503)
    return HttpResponse("ok", content_type="text/plain")


def _cached_rows(phase: Any, board: str, version: str) -> list[dict[str, Any]]:
    key = f"leaderboard:rows:{version}"
    rows = memo.get(key)
    if rows is None:
        rows = leaderboard_rows(phase=phase, board=board)
        memo.put(key, rows, CACHE_SECONDS)
    return rows


def _display_rows(phase: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    columns = TRACK_COLUMNS[phase.track.number]
    return [
        {
            **row,
            "cells": [
                {"text": format_metric(row["metrics"][c.key], c.kind), "value": row["metrics"][c.key]} for c in columns
            ],
            "verification_label": VERIFICATION_LABELS.get(row["verification"] or "", ""),
            "ci_text": (
                f"{format_metric(row['ci'][0], 'pct')}–{format_metric(row['ci'][1], 'pct')}" if row["ci"] else "–"
            ),
        }
        for row in rows
    ]


@require_GET
def board(request: HttpRequest, slug: str, number: int, split: str) -> HttpResponse:
    phase = _phase(slug, number, split)
    which = board_choice(request.GET.get("board"))
    board_check_visible(user=request.user, phase=phase)
    version = _version(phase, which)
    page_key = f"leaderboard:page:{version}"
    if _anonymous(request) and (html := memo.get(page_key)) is not None:
        return _cached_response(request, page_key, html, "text/html; charset=utf-8")
    rows = _cached_rows(phase, which, version)
    columns = TRACK_COLUMNS[phase.track.number]
    args = [slug, number, split]
    api = reverse("api:leaderboard", args=args)
    context = {
        "challenge": phase.track.challenge,
        "phase": phase,
        "track": phase.track,
        "board": which,
        "boards": Board.choices,
        "columns": columns,
        "rows": _display_rows(phase, rows),
        "version": version,
        "is_organizer": user_is_organizer(request.user),
        "top_submissions": [r["submission"] for r in rows[:5]],
        "compare_top_url": compare_selectors.compare_url(r["submission"] for r in rows[:5]),
        "config": {
            "jsonUrl": reverse("leaderboard:board_json", args=args) + f"?board={which}",
            "curvesUrl": reverse("leaderboard:board_curves", args=args) + f"?board={which}",
            "version": version,
            "pollMs": POLL_MS,
            "track": phase.track.number,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in columns],
            "verificationLabels": VERIFICATION_LABELS,
        },
        "exports": [(fmt, f"{api}export/?format={fmt}&board={which}") for fmt in FORMATS],
    }
    response = render(request, "leaderboard/board.html", context)
    if _anonymous(request):
        memo.put(page_key, response.content, CACHE_SECONDS)
        return _cached_response(request, page_key, response.content, "text/html; charset=utf-8")
    return response


@require_GET
def board_json(request: HttpRequest, slug: str, number: int, split: str) -> HttpResponse:
    """Polled by the board page; 304 while the stored board has not changed."""
    phase = _phase(slug, number, split)
    which = board_choice(request.GET.get("board"))
    board_check_visible(user=request.user, phase=phase)
    version = _version(phase, which)
    etag = f'W/"{version}"'  # weak: the same board, gzipped or not
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    key = f"leaderboard:json:{version}"
    body = memo.get(key)
    if body is None:
        rows = _cached_rows(phase, which, version)
        body = json.dumps({"version": version, "board": which, "rows": rows}, separators=(",", ":")).encode()
        memo.put(key, body, CACHE_SECONDS)
    response = _cached_response(request, key, body, "application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def board_curves_json(request: HttpRequest, slug: str, number: int, split: str) -> HttpResponse:
    """Figure 1's data: the top entries' IoU-threshold curves (``?top=5``)."""
    phase = phase_for_board(slug=slug, number=number, split=split)
    which = board_choice(request.GET.get("board"))
    board_check_visible(user=request.user, phase=phase)
    top_text = request.GET.get("top", "5")
    if not top_text.isdigit() or not 1 <= int(top_text) <= 20:
        raise ApplicationError("invalid_top", "top must be a whole number from 1 to 20.")
    return JsonResponse({"series": board_curves(phase=phase, board=which, top=int(top_text))})


@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """Submissions side by side: per-class IoU for tracks 1-2, the curves for track 3."""
    ids = compare_selectors.parse_ids(request.GET.getlist("s"))
    subs = compare_selectors.compared_submissions(user=request.user, ids=ids)
    phase = subs[0].phase
    context: dict[str, Any] = {"subs": subs, "track": phase.track, "challenge": phase.track.challenge}
    if phase.track.number == 3:
        context["curves"] = compare_selectors.compared_curves(subs)
    else:
        context["class_rows"] = compare_selectors.per_class_rows(subs)
        context["signed"] = len(subs) == 2
        context["difference_label"] = "Difference (2nd − 1st)" if len(subs) == 2 else "Spread (max − min)"
    return render(request, "leaderboard/compare.html", context)
