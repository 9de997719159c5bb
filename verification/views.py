"""Verification pages: the team's requests and upload, the verifiers' queue, detail and download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.roles import user_is_verifier
from lidserver.errors import ApplicationError, NotFound
from verification import selectors, services
from verification.forms import CodeUploadForm, DecisionForm
from verification.models import VerificationRequest


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    requests = selectors.verification_requests_for_user(user=request.user)
    return render(request, "verification/mine.html", {"requests": requests})


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    verification = _or_404(selectors.verification_get_for_team_member, pk, request)
    form = CodeUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verification_upload_code(
                request=verification,
                user=request.user,
                archive=form.cleaned_data["archive"],
                declared_parameters=form.cleaned_data["declared_parameters"],
                instructions=form.cleaned_data["instructions"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your code was uploaded; a verifier will run it and record the result.")
            return redirect("verification:upload", pk=verification.pk)
    return render(request, "verification/upload.html", {"verification": verification, "form": form})


def queue(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not user_is_verifier(request.user):
        return render(request, "verification/forbidden.html", status=403)
    state = request.GET.get("state", "")
    if state not in VerificationRequest.State.values:
        state = ""
    return render(
        request,
        "verification/queue.html",
        {
            "requests": selectors.verification_queue(state=state),
            "state": state,
            "states": VerificationRequest.State.choices,
        },
    )


@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    verification = _or_404(selectors.verification_get_for_verifier, pk, request)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        score = form.cleaned_data["reproduced_score"]
        try:
            services.verification_decide(
                request=verification,
                user=request.user,
                verdict=form.cleaned_data["verdict"],
                reproduced_score=score / 100 if score is not None else None,
                measured_parameters=form.cleaned_data["measured_parameters"],
                note=form.cleaned_data["note"],
                confirm_difference=form.cleaned_data["confirm_difference"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "The decision was recorded and the leaderboard updated.")
            return redirect("verification:detail", pk=verification.pk)
    context = {
        "verification": verification,
        "form": form,
        "tolerance": services.tolerance_points(),
        "difference": services.score_difference_points(verification.reproduced_score, verification.board_score),
    }
    return render(request, "verification/detail.html", context)


def download(request: HttpRequest, pk: int) -> FileResponse:
    """The team's code, for verifiers only, as an attachment (never a public URL)."""
    verification = _or_404(selectors.verification_get_for_verifier, pk, request)
    if not verification.code_archive:
        raise Http404("The team has not uploaded code yet.")
    filename = verification.code_archive_name or f"verification-{verification.pk}.zip"
    try:
        handle = verification.code_archive.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The code archive is missing from storage.") from exc
    return FileResponse(handle, as_attachment=True, filename=filename, content_type="application/octet-stream")


def _or_404(selector, pk: int, request: HttpRequest) -> VerificationRequest:  # type: ignore[no-untyped-def]
    try:
        return selector(request_id=pk, user=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
