"""Every URL of the site, and who may GET it: the table the access tests hold the code to.

Columns: anonymous, member of team A, member of team B, organizer, verifier. The objects in the
URLs (submissions, verification requests, teams) belong to team A, so team B must see 404 where A
sees 200. Expectations:

``ok`` 200 · ``login`` a page redirects to the login form, the API answers 401/403 ``not_authenticated``
· ``404`` · ``403`` · ``405`` (GET is not a method of this URL) · ``redirect`` any 302.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

ROLES = ("anonymous", "member_a", "member_b", "organizer", "verifier")


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name" or, for unnamed patterns, the route text
    pattern: str
    converters: tuple[str, ...]


def all_routes() -> list[Route]:
    def walk(patterns: list[Any], prefix: str, ns: str | None) -> Iterator[Route]:
        for p in patterns:
            if isinstance(p, URLResolver):
                child = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
                yield from walk(p.url_patterns, prefix + str(p.pattern), child)
            elif isinstance(p, URLPattern):
                text = prefix + str(p.pattern)
                name = f"{ns}:{p.name}" if ns and p.name else (p.name or text)
                yield Route(name, text, tuple(p.pattern.converters) if hasattr(p.pattern, "converters") else ())

    return list(walk(get_resolver().url_patterns, "/", None))


def _e(spec: str) -> dict[str, str]:
    values = spec.split()
    assert len(values) == len(ROLES), spec
    return dict(zip(ROLES, values, strict=True))


PUBLIC = _e("ok ok ok ok ok")
MEMBERS = _e("login ok ok ok ok")  # any logged-in user
OWN_A = _e("login ok 404 ok 404")  # team A's object: another team gets the same 404 as a missing id
POST_ONLY_PAGE = _e("login 405 405 405 405")
POST_ONLY_API = _e("405 405 405 405 405")  # the method is checked before the credentials (ApiView)
NO_TEAM_403 = _e("login ok ok 403 403")  # a team's own pages: staff without a team are told they have none
OWN_A_404 = _e("404 ok 404 ok 404")  # JSON for polling / objects: 404 for anyone who may not know it exists
VERIFIERS = _e("login 403 403 ok ok")
VERIFIER_OBJ_404 = _e("404 404 404 ok ok")
ORGANIZERS_ADMIN = _e("redirect redirect redirect ok redirect")

W = Any  # the World fixture (tests/security_tests/conftest.py)
P = {"slug": "lid2020", "number": 1, "split": "test"}


def phase(_: W) -> dict[str, Any]:
    return dict(P)


@dataclass(frozen=True)
class Row:
    expect: dict[str, str]
    kwargs: Callable[[W], dict[str, Any]] = lambda w: {}
    # The kwargs naming another team's object; 404 for B must equal the 404 for a missing id.
    missing: Callable[[W], dict[str, Any]] | None = None
    query: Callable[[W], str] = lambda w: ""


def _sub(w: W) -> dict[str, Any]:
    return {"submission_id": w.sub_a.pk}


def _ver(w: W) -> dict[str, Any]:
    return {"pk": w.verification_a.pk}


MISSING_SUB = {"submission_id": 987654}

TABLE: dict[str, Row] = {
    # Pages
    "challenges:home": Row(PUBLIC),
    "challenges:detail": Row(PUBLIC, lambda w: {"slug": "lid2020"}),
    "challenges:rules": Row(PUBLIC, lambda w: {"slug": "lid2020"}),
    "challenges:page": Row(PUBLIC, lambda w: {"slug": "lid2020", "page": "data"}),
    "challenges:track": Row(PUBLIC, lambda w: {"slug": "lid2020", "number": 1}),
    "leaderboard:board": Row(PUBLIC, phase),
    "leaderboard:board_json": Row(PUBLIC, phase),
    "leaderboard:board_curves": Row(PUBLIC, phase),
    # Team A's submission is a row of the public board: anyone may compare it. (A submission on no
    # board, or on a hidden one, is 404 for other teams: tests/leaderboard_tests/test_compare.py.)
    "leaderboard:compare": Row(PUBLIC, query=lambda w: f"?s={w.sub_a.pk}"),
    "leaderboard:healthz": Row(PUBLIC),
    "submissions:upload": Row(NO_TEAM_403, phase),
    "submissions:list": Row(NO_TEAM_403, phase),
    "submissions:detail": Row(OWN_A, _sub, lambda w: MISSING_SUB),
    "submissions:status": Row(OWN_A_404, _sub, lambda w: MISSING_SUB),
    "submissions:representative": Row(POST_ONLY_PAGE, _sub),
    "accounts:login": Row(_e("ok redirect redirect redirect redirect")),
    "accounts:logout": Row(_e("405 405 405 405 405")),
    "accounts:signup": Row(_e("ok redirect redirect redirect redirect")),
    "accounts:profile": Row(MEMBERS),
    "accounts:tokens": Row(MEMBERS),
    "accounts:password_reset": Row(PUBLIC),
    "accounts:password_reset_done": Row(PUBLIC),
    "accounts:password_reset_confirm": Row(PUBLIC, lambda w: {"uidb64": "MQ", "token": "set-password"}),
    "accounts:password_reset_complete": Row(PUBLIC),
    "accounts:team": Row(PUBLIC, lambda w: {"slug": "lid2020"}),
    "accounts:team_create": Row(POST_ONLY_PAGE, lambda w: {"slug": "lid2020"}),
    "accounts:team_join_by_code": Row(POST_ONLY_PAGE, lambda w: {"slug": "lid2020"}),
    "accounts:team_leave": Row(POST_ONLY_PAGE, lambda w: {"slug": "lid2020"}),
    "accounts:team_remove_member": Row(
        POST_ONLY_PAGE, lambda w: {"slug": "lid2020", "user_id": w.users["member_a2"].pk}
    ),
    "accounts:team_invite_code": Row(POST_ONLY_PAGE, lambda w: {"slug": "lid2020"}),
    # An invite link names its team to anyone holding it (logged out: with sign-up and log-in links).
    "accounts:join": Row(PUBLIC, lambda w: {"slug": "lid2020", "invite_code": w.team_a.invite_code}),
    "verification:queue": Row(VERIFIERS),
    "verification:mine": Row(MEMBERS),
    "verification:detail": Row(VERIFIER_OBJ_404, _ver, lambda w: {"pk": 987654}),
    "verification:download": Row(VERIFIER_OBJ_404, _ver, lambda w: {"pk": 987654}),
    "verification:upload": Row(_e("404 ok 404 404 404"), _ver, lambda w: {"pk": 987654}),
    # API
    "api:auth-token": Row(POST_ONLY_API),
    "api:me": Row(MEMBERS),
    "api:team-create": Row(POST_ONLY_API, lambda w: {"slug": "lid2020"}),
    "api:team-join": Row(POST_ONLY_API),
    "api:team-detail": Row(OWN_A, lambda w: {"team_id": w.team_a.pk}, lambda w: {"team_id": 987654}),
    "api:team-leave": Row(POST_ONLY_API, lambda w: {"team_id": w.team_a.pk}),
    "api:team-member": Row(POST_ONLY_API, lambda w: {"team_id": w.team_a.pk, "user_id": w.users["member_a2"].pk}),
    "api:team-invite-code": Row(POST_ONLY_API, lambda w: {"team_id": w.team_a.pk}),
    "api:challenge-list": Row(PUBLIC),
    "api:challenge-detail": Row(PUBLIC, lambda w: {"slug": "lid2020"}),
    "api:phase-detail": Row(PUBLIC, phase),
    # Image ids and sizes of the split (public like the test images; no mask): anyone may read them.
    "api:phase-manifest": Row(PUBLIC, phase),
    "api:phase-submissions": Row(MEMBERS, phase),
    "api:phase-submissions-check": Row(POST_ONLY_API, phase),
    "api:my-submissions": Row(MEMBERS),
    "api:submission-detail": Row(OWN_A, _sub, lambda w: MISSING_SUB),
    "api:submission-representative": Row(POST_ONLY_API, _sub),
    "api:leaderboard": Row(PUBLIC, phase),
    "api:leaderboard-export": Row(PUBLIC, phase),
    "api:verification-mine": Row(MEMBERS),
    "api:verification-code": Row(POST_ONLY_API, lambda w: {"request_id": w.verification_a.pk}),
    "api:schema": Row(PUBLIC),
    "api:docs": Row(PUBLIC),
    # Any /api/ address without a route: the JSON error body, for everyone.
    "api:not-found": Row(_e("404 404 404 404 404"), lambda w: {"path": "no-such-endpoint/"}),
}


def admin_kwargs(route: Route, world: W) -> dict[str, Any] | None:
    """Admin URLs are organizer-only by construction; object URLs use an existing object of the model."""
    from django.contrib import admin

    kwargs: dict[str, Any] = {}
    if "object_id" in route.converters:
        name = route.name.split(":", 1)[1] if ":" in route.name else ""
        for model in admin.site._registry:
            prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
            if name.startswith(prefix):
                obj = model._default_manager.order_by("pk").first()
                if obj is None:
                    return None
                kwargs["object_id"] = str(obj.pk)
                break
        else:
            return None
    return kwargs
