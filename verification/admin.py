"""Verification requests in the admin: the overview; decisions are taken on the verifier's page.

The code archive is offered only through the verifier's download view (role checked), never as a
storage URL.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from lidserver.admin import OrganizerAdmin, pct
from lidserver.errors import ApplicationError
from verification.models import VerificationRequest
from verification.services import (
    score_difference_points,
    tolerance_points,
    verification_disqualify_submission_team,
)

_READONLY = (
    "phase", "team", "submission", "rank_when_requested", "state", "verifier_page", "code_archive_name", "code_sha256",
    "code_size", "declared_parameters", "instructions", "requested_at", "uploaded_at", "uploaded_by",
    "reproduced_pct", "board_pct", "score_difference", "measured_parameters", "verifier_note", "decided_at", "decided_by",
)  # fmt: skip


@admin.register(VerificationRequest)
class VerificationRequestAdmin(OrganizerAdmin):
    list_display = (
        "team",
        "phase",
        "rank_when_requested",
        "state",
        "requested_at",
        "uploaded_at",
        "decided_by",
        "decided_at",
    )
    list_filter = ("state", "phase__track__challenge", "phase__track__number")
    search_fields = ("team__name",)
    list_select_related = ("team", "phase__track__challenge", "decided_by")
    fields = _READONLY
    readonly_fields = _READONLY
    actions = ("disqualify",)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # requests are made by "Ask the top 3 teams" (phases) or request_verification

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # decisions go through the verifier's page, which records who, when and the audit entry

    @admin.display(description="reproduced score")
    def reproduced_pct(self, obj: VerificationRequest) -> str:
        return pct(obj.reproduced_score)

    @admin.display(description="board score at the decision")
    def board_pct(self, obj: VerificationRequest) -> str:
        return pct(obj.board_score)

    @admin.display(description="difference (points)")
    def score_difference(self, obj: VerificationRequest) -> str:
        difference = score_difference_points(obj.reproduced_score, obj.board_score)
        if difference is None:
            return "—"
        beyond = abs(difference) > tolerance_points()
        text = f"{difference:.2f} (tolerance {tolerance_points():.2f})"
        if beyond:
            text += ": beyond the tolerance, confirmed by the verifier" if obj.score_difference_confirmed else ""
            return format_html('<span class="tolerance-warning">{}</span>', text)
        return text

    @admin.display(description="verifier's page")
    def verifier_page(self, obj: VerificationRequest) -> str:
        return format_html(
            '<a href="{}">Open (download the code, record the decision)</a>',
            reverse("verification:detail", args=[obj.pk]),
        )

    @admin.action(description="Disqualify the selected teams")
    def disqualify(self, request: HttpRequest, queryset: QuerySet[VerificationRequest]) -> None:
        for verification in queryset.select_related("submission__phase", "team"):
            try:
                verification_disqualify_submission_team(
                    submission=verification.submission, user=request.user, note="Disqualified from the admin."
                )
            except ApplicationError as exc:
                self.message_user(request, f"{verification.team}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request, f"{verification.team} is disqualified in {verification.phase}.", messages.SUCCESS
                )
