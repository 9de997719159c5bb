"""Submission pages: upload (with a no-JS fallback), the team's list, one submission and its status.

Views only parse, call a service or selector, and render; the counting, locking and scoring live in
``submissions.services`` / ``submissions.selectors`` / ``submissions.tasks``.
"""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import team_of_user
from challenges.models import Phase
from challenges.selectors import phase_get, track_get
from challenges.views import challenge_or_404
from evaluation import TRACKS
from leaderboard import compare
from lidserver.errors import ApplicationError, error_body
from lidserver.formatting import metric_text, percent, track_columns
from lidserver.user_text import METHOD_DESCRIPTION_MAX, METHOD_NAME_MAX, NameValidator
from submissions import precheck, selectors, services
from submissions.models import PENDING_STATUSES, Status, Submission
from submissions.serializers import submission_json


class UploadForm(forms.Form):
    method_name = forms.CharField(
        max_length=METHOD_NAME_MAX,
        validators=[NameValidator("method name")],
        help_text=f"At most {METHOD_NAME_MAX} characters; shown on the leaderboard.",
    )
    method_description = forms.CharField(
        required=False,
        max_length=METHOD_DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"At most {METHOD_DESCRIPTION_MAX:,} characters; the leaderboard shows it folded under the method name.",
    )
    # The service checks the range (settings.MAX_DECLARED_PARAMETERS) and says so in its own sentence.
    declared_parameters = forms.IntegerField(
        min_value=0,
        help_text=f"Total parameters of the inference model(s); must be under {settings.MAX_DECLARED_PARAMETERS:,}.",
        # Text, not a number box: what was typed (commas, units) reaches the check and is named there.
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    archive = forms.FileField(help_text="A zip of one PNG per test image, named like the ground truth.")


def _phase_or_404(slug: str, number: int, split: str) -> Phase:
    challenge = challenge_or_404(slug)
    return phase_get(track=track_get(challenge=challenge, number=number), split=split)


def _submission_or_404(request: HttpRequest, submission_id: int) -> Submission:
    return selectors.submission_get_for_user(user=request.user, submission_id=submission_id)


def _phase_urls(phase: Phase) -> dict[str, str]:
    args = (phase.track.challenge.slug, phase.track.number, phase.split)
    return {
        "upload_url": reverse("submissions:upload", args=args),
        "list_url": reverse("submissions:list", args=args),
        "api_url": reverse("api:phase-submissions", args=args),
        "check_url": reverse("api:phase-submissions-check", args=args),
        "team_url": reverse("accounts:team", args=args[:1]),
        "track_url": reverse("challenges:track", args=args[:2]),
    }


def _no_team(request: HttpRequest, phase: Phase) -> HttpResponse:
    context = {"phase": phase, "challenge": phase.track.challenge, **_phase_urls(phase)}
    return render(request, "submissions/no_team.html", context, status=403)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, slug: str, number: int, split: str) -> HttpResponse:
    phase = _phase_or_404(slug, number, split)
    team = team_of_user(user=request.user, challenge=phase.track.challenge)
    if team is None:
        return _no_team(request, phase)
    form = UploadForm(request.POST or None, request.FILES or None)
    error = ""
    status = 200
    field_errors: dict[str, str] = {}
    if request.method == "POST":
        # Without the page script: the same checks as the pre-check, each error next to its field.
        archive = request.FILES.get("archive")
        data: dict[str, Any] = {key: request.POST[key] for key in precheck.FIELDS if key in request.POST}
        if archive is not None:
            data["archive_size"] = archive.size
        values, field_errors = precheck.upload_fields_check(data)
        if "archive_size" in field_errors:
            field_errors["archive"] = field_errors.pop("archive_size")
        if archive is None:
            field_errors["archive"] = "Choose the zip archive of your predictions."
        if not field_errors and archive is not None:
            try:
                submission = services.submission_create(
                    phase=phase,
                    team=team,
                    user=request.user,
                    uploaded_file=archive,
                    method_name=values["method_name"],
                    method_description=values.get("method_description", ""),
                    declared_parameters=values["declared_parameters"],
                )
            except ApplicationError as exc:
                error, status = exc.message, exc.http_status
            else:
                messages.success(request, "Your archive was uploaded; it is scored in the background.")
                return redirect("submissions:detail", submission_id=submission.pk)
        else:
            error, status = "Please correct the fields marked below and choose the archive again.", 400
    quota = selectors.team_quota(team=team, phase=phase)
    context = {
        "phase": phase,
        "challenge": phase.track.challenge,
        "team": team,
        "quota": quota,
        "refusal": services.upload_refusal(team=team, phase=phase, quota=quota),
        "form": form,
        "field_errors": field_errors,
        "error": error,
        "max_upload_bytes": settings.MAX_UPLOAD_BYTES,
        **_phase_urls(phase),
    }
    return render(request, "submissions/upload.html", context, status=status)


@login_required
@require_GET
def submission_list(request: HttpRequest, slug: str, number: int, split: str) -> HttpResponse:
    phase = _phase_or_404(slug, number, split)
    team = team_of_user(user=request.user, challenge=phase.track.challenge)
    if team is None:
        return _no_team(request, phase)
    submissions = list(selectors.submissions_for_team(team=team, phase=phase))
    representatives = selectors.representative_ids(submissions)
    rows = []
    for submission in submissions:
        data = submission_json(submission, representatives=representatives)
        rows.append({"submission": submission, "data": data, "score_text": percent(data.get("score"))})
    quota = selectors.team_quota(team=team, phase=phase)
    context = {
        "phase": phase,
        "challenge": phase.track.challenge,
        "team": team,
        "rows": rows,
        "quota": quota,
        "refusal": services.upload_refusal(team=team, phase=phase, quota=quota),
        "compare_url": compare.compare_url(s.pk for s in submissions if s.status == Status.SCORED),
        "scored_count": sum(s.status == Status.SCORED for s in submissions),
        **_phase_urls(phase),
    }
    return render(request, "submissions/list.html", context)


@login_required
@require_GET
def detail(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = _submission_or_404(request, submission_id)
    data = submission_json(submission)
    phase = submission.phase
    context = {
        "submission": submission,
        "data": data,
        "phase": phase,
        "challenge": phase.track.challenge,
        "pending": submission.status in PENDING_STATUSES,
        "queue": selectors.submission_queue_place(submission=submission),
        "metric_rows": metric_rows(phase.track.number, data),
        "class_rows": class_rows(phase.track.number, data.get("per_class")),
        "curve_series": curve_series(data),
        "ci_text": [percent(value) for value in data.get("ci") or []],
        **_compare_links(request, submission),
        **_phase_urls(phase),
    }
    return render(request, "submissions/detail.html", context)


def _compare_links(request: HttpRequest, submission: Submission) -> dict[str, str]:
    """A scored submission's comparison pages: with the board's top 3, with the team's other scored ones."""
    if submission.status != Status.SCORED:
        return {}
    links = {}
    top = [pk for pk in compare.top_ids(user=request.user, phase=submission.phase, count=4) if pk != submission.pk][:3]
    if top:
        links["compare_top_url"] = compare.compare_url([submission.pk, *top])
    others = [
        s.pk for s in selectors.submissions_for_team(team=submission.team, phase=submission.phase)
        if s.status == Status.SCORED and s.pk != submission.pk
    ]  # fmt: skip
    if others:
        links["compare_own_url"] = compare.compare_url([submission.pk, *others])
    return links


@require_GET
def status_json(request: HttpRequest, submission_id: int) -> JsonResponse:
    if not request.user.is_authenticated:
        # The same answer as a missing id: the page polls only for a logged-in team member.
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    submission = selectors.submission_get_for_user(user=request.user, submission_id=submission_id)
    body = submission_json(submission)
    place = selectors.submission_queue_place(submission=submission)
    # The page's progress line: the place in the scoring queue while the submission waits.
    body["queue"] = None if place is None else {"position": place.position, "running": place.running}
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def representative(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = _submission_or_404(request, submission_id)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("submissions:detail", args=(submission.pk,))
    try:
        services.submission_set_representative(
            submission=submission, user=request.user, confirm=request.POST.get("confirm") == "1"
        )
    except ApplicationError as exc:
        if exc.code == "representative_drops_rank":
            # Ask first: the same form again, with the confirmation.
            context = {"submission": submission, "message": exc.message, "next": target}
            return render(request, "submissions/representative_confirm.html", context)
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Submission {submission.pk} now represents your team on the leaderboard.")
    return redirect(target)


# What the page shows, computed from the contract JSON (fractions) -> display strings.


def metric_rows(track_number: int, data: dict[str, Any]) -> list[dict[str, str]]:
    metrics = data.get("metrics") or {}
    return [
        {"key": c.key, "label": c.label, "value": metric_text(metrics.get(c.key), c.kind)}
        for c in track_columns(track_number)
    ]


def _class_names(track_number: int) -> list[str]:
    return list(TRACKS[track_number].class_names)


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def class_rows(track_number: int, per_class: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per class: index, name, IoU and accuracy (None for classes not present in the split)."""
    if not per_class or track_number not in (1, 2):
        return []
    names = _class_names(track_number)
    ious, accuracies = per_class.get("iou") or [], per_class.get("accuracy") or []
    rows = []
    for index, iou in enumerate(ious):
        accuracy = _finite(accuracies[index]) if index < len(accuracies) else None
        iou = _finite(iou)
        rows.append(
            {
                "index": index,
                "name": names[index] if index < len(names) else str(index),
                "iou": iou,
                "accuracy": accuracy,
                "iou_text": percent(iou),
                "accuracy_text": percent(accuracy),
            }
        )
    return rows


def curve_series(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Track 3: the mean curve and its pixel-accumulated variant, as drawCurves() takes them."""
    curve = data.get("curve") or {}
    series = []
    for key, label in (("mean", "Mean over images"), ("pixel", "Pixel-accumulated")):
        values = curve.get(key)
        if values:
            peak = max(range(len(values)), key=lambda t, v=values: (v[t], -t))  # type: ignore[misc]
            series.append({"label": label, "values": values, "peak": peak})
    return series
