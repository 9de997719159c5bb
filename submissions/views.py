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
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import team_of_user
from challenges.models import Phase
from challenges.selectors import phase_get, track_get
from challenges.views import challenge_or_404
from lidserver.errors import ApplicationError, NotFound, error_body
from lidserver.user_text import METHOD_DESCRIPTION_MAX, METHOD_NAME_MAX, NameValidator
from submissions import selectors, services
from submissions.models import PENDING_STATUSES, Submission


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
    # The service checks the range (< 150M) and says so in its own sentence.
    declared_parameters = forms.IntegerField(
        min_value=0, help_text="Total parameters of the inference model(s); must be under 150,000,000."
    )
    archive = forms.FileField(help_text="A zip of one PNG per test image, named like the ground truth.")


def _phase_or_404(slug: str, number: int, split: str) -> Phase:
    challenge = challenge_or_404(slug)
    try:
        return phase_get(track=track_get(challenge=challenge, number=number), split=split)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _submission_or_404(request: HttpRequest, submission_id: int) -> Submission:
    try:
        return selectors.submission_get_for_user(user=request.user, submission_id=submission_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _phase_urls(phase: Phase) -> dict[str, str]:
    args = (phase.track.challenge.slug, phase.track.number, phase.split)
    return {
        "upload_url": reverse("submissions:upload", args=args),
        "list_url": reverse("submissions:list", args=args),
        "api_url": reverse("api:phase-submissions", args=args),
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
    if request.method == "POST":
        if form.is_valid():
            try:
                submission = services.submission_create(
                    phase=phase,
                    team=team,
                    user=request.user,
                    uploaded_file=form.cleaned_data["archive"],
                    method_name=form.cleaned_data["method_name"],
                    method_description=form.cleaned_data["method_description"],
                    declared_parameters=form.cleaned_data["declared_parameters"],
                )
            except ApplicationError as exc:
                error, status = exc.message, exc.http_status
            else:
                messages.success(request, "Your archive was uploaded; it is scored in the background.")
                return redirect("submissions:detail", submission_id=submission.pk)
        else:
            error, status = "Please correct the fields marked below and choose the archive again.", 400
    context = {
        "phase": phase,
        "challenge": phase.track.challenge,
        "team": team,
        "quota": selectors.team_quota(team=team, phase=phase),
        "form": form,
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
        data = selectors.submission_to_dict(submission, viewer=request.user, representatives=representatives)
        rows.append({"submission": submission, "data": data, "score_text": percent(data.get("score"))})
    context = {
        "phase": phase,
        "challenge": phase.track.challenge,
        "team": team,
        "rows": rows,
        "quota": selectors.team_quota(team=team, phase=phase),
        **_phase_urls(phase),
    }
    return render(request, "submissions/list.html", context)


@login_required
@require_GET
def detail(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = _submission_or_404(request, submission_id)
    data = selectors.submission_to_dict(submission, viewer=request.user)
    phase = submission.phase
    context = {
        "submission": submission,
        "data": data,
        "phase": phase,
        "challenge": phase.track.challenge,
        "pending": submission.status in PENDING_STATUSES,
        "metric_rows": metric_rows(phase.track.number, data),
        "class_rows": class_rows(phase.track.number, data.get("per_class")),
        "curve_series": curve_series(data),
        "ci_text": [percent(value) for value in data.get("ci") or []],
        **_phase_urls(phase),
    }
    return render(request, "submissions/detail.html", context)


@require_GET
def status_json(request: HttpRequest, submission_id: int) -> JsonResponse:
    if not request.user.is_authenticated:
        # The same answer as a missing id: the page polls only for a logged-in team member.
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    try:
        submission = selectors.submission_get_for_user(user=request.user, submission_id=submission_id)
    except NotFound as exc:
        return JsonResponse(error_body(exc.code, exc.message), status=404)
    response = JsonResponse(selectors.submission_to_dict(submission, viewer=request.user))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def representative(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = _submission_or_404(request, submission_id)
    try:
        services.submission_set_representative(submission=submission, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Submission {submission.pk} now represents your team on the leaderboard.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("submissions:detail", args=(submission.pk,))
    return redirect(target)


# What the page shows, computed from the contract JSON (fractions) -> display strings.

_TRACK_METRICS = {
    1: [("mean_iou", "Mean IoU"), ("mean_accuracy", "Mean Accuracy"), ("pixel_accuracy", "Pixel Accuracy")],
    2: [("mean_iou", "Mean IoU"), ("mean_accuracy", "Mean Accuracy"), ("pixel_accuracy", "Pixel Accuracy")],
    3: [("peak_iou", "Peak-IoU"), ("peak_threshold", "Peak-Threshold")],
}


def percent(value: Any) -> str:
    """A fraction as the LID 2020 report writes it: percent with two decimals; '–' when missing or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value) * 100:.2f}"


def metric_rows(track_number: int, data: dict[str, Any]) -> list[dict[str, str]]:
    metrics = data.get("metrics") or {}
    rows = []
    for key, label in _TRACK_METRICS.get(track_number, []):
        value = metrics.get(key)
        if key == "peak_threshold":
            shown = "–" if value is None else str(int(value))
        else:
            shown = percent(value)
        rows.append({"key": key, "label": label, "value": shown})
    return rows


def _class_names(track_number: int) -> list[str]:
    try:
        from evaluation import TRACKS
    except ImportError:  # the scoring core not installed: show indices only
        return []
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
            peak = max(range(len(values)), key=lambda t, v=values: (v[t], -t))
            series.append({"label": label, "values": values, "peak": peak})
    return series
