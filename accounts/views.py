"""Account and team pages: parse the request, call a service, render or redirect with a message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from accounts import services
from accounts.forms import SignupForm, TeamCreateForm, TeamJoinForm
from accounts.selectors import team_by_invite_code, team_memberships, team_of_user, user_teams
from challenges.selectors import challenge_list
from challenges.views import challenge_or_404
from lidserver.errors import ApplicationError


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_signup(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                affiliation=form.cleaned_data["affiliation"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if _safe_next(request):  # e.g. the invite link that brought them here
                target = request.GET.get("next", "")
                hint = "" if "/join/" in target else " To submit, create a team or join one (Team, in the menu)."
                messages.success(request, f"Welcome, {user.username}.{hint}")
                return redirect(target)
            # The profile says where to go next: a link to create or join a team in each challenge.
            messages.success(request, f"Welcome, {user.username}. Next, create a team or join one (below).")
            return redirect("accounts:profile")
    return render(request, "accounts/signup.html", {"form": form})


def _safe_next(request: HttpRequest) -> bool:
    target = request.GET.get("next", "")
    return bool(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    teams = user_teams(user=request.user)
    joined = {team.challenge_id for team in teams}
    # Challenges the user has no team in yet: the profile links to creating or joining one.
    teamless = [challenge for challenge in challenge_list() if challenge.pk not in joined]
    return render(request, "accounts/profile.html", {"teams": teams, "teamless": teamless})


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.token_revoke(user=request.user)
            messages.success(request, "Your API token was revoked; programs using it will get 401 from now on.")
        else:
            services.token_create(user=request.user)
            messages.success(request, "Your API token is ready; keep it secret.")
        return redirect("accounts:tokens")
    token = Token.objects.filter(user=request.user).first()
    return render(request, "accounts/tokens.html", {"token": token})


def team(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = challenge_or_404(slug)
    my_team = team_of_user(user=request.user, challenge=challenge)
    context = {
        "challenge": challenge,
        "team": my_team,
        "memberships": team_memberships(team=my_team) if my_team else [],
        "create_form": TeamCreateForm(),
        "join_form": TeamJoinForm(),
    }
    if my_team is not None:
        context["invite_url"] = request.build_absolute_uri(
            reverse("accounts:join", args=[challenge.slug, my_team.invite_code])
        )
    return render(request, "accounts/team.html", context)


def _back_to_team(slug: str) -> HttpResponse:
    return redirect("accounts:team", slug=slug)


@login_required
@require_POST
def team_create(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = challenge_or_404(slug)
    form = TeamCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return _back_to_team(slug)
    try:
        created = services.team_create(user=request.user, challenge=challenge, **form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Team {created.name} created; invite your teammates with the link below.")
    return _back_to_team(slug)


@login_required
@require_POST
def team_join_by_code(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = challenge_or_404(slug)
    form = TeamJoinForm(request.POST)
    code = form.cleaned_data["invite_code"] if form.is_valid() else ""
    return _join(request, challenge, code)


def _join(request: HttpRequest, challenge, code: str) -> HttpResponse:  # type: ignore[no-untyped-def]
    try:
        joined = services.team_join(user=request.user, invite_code=code, challenge=challenge)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"You joined {joined.name}.")
    return _back_to_team(challenge.slug)


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, slug: str, invite_code: str) -> HttpResponse:
    """The invite link: GET shows a confirmation, POST joins (a link alone never changes anything).

    Opened while logged out it names the team and offers to log in or sign up, both coming back here.
    """
    challenge = challenge_or_404(slug)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return _join(request, challenge, invite_code)
    context = {
        "challenge": challenge,
        "invite_team": team_by_invite_code(invite_code=invite_code, challenge=challenge),
        "current_team": team_of_user(user=request.user, challenge=challenge),
        "invite_code": invite_code,
    }
    return render(request, "accounts/join.html", context)


def _my_team_or_message(request: HttpRequest, slug: str):  # type: ignore[no-untyped-def]
    challenge = challenge_or_404(slug)
    my_team = team_of_user(user=request.user, challenge=challenge)
    if my_team is None:
        messages.error(request, "You are not in a team in this challenge.")
    return my_team


@login_required
@require_POST
def team_leave(request: HttpRequest, slug: str) -> HttpResponse:
    my_team = _my_team_or_message(request, slug)
    if my_team is not None:
        try:
            services.team_leave(user=request.user, team=my_team)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"You left {my_team.name}.")
    return _back_to_team(slug)


@login_required
@require_POST
def team_remove_member(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    my_team = _my_team_or_message(request, slug)
    if my_team is not None:
        try:
            services.team_remove_member(actor=request.user, team=my_team, user_id=user_id)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "The member was removed from the team.")
    return _back_to_team(slug)


@login_required
@require_POST
def team_regenerate_invite_code(request: HttpRequest, slug: str) -> HttpResponse:
    my_team = _my_team_or_message(request, slug)
    if my_team is not None:
        try:
            services.team_regenerate_invite_code(actor=request.user, team=my_team)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "A new invite link was made; the old one no longer works.")
    return _back_to_team(slug)
