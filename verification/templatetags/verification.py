"""``{% load verification %}{% verification_banner team %}``: the notice on a team's page."""

from __future__ import annotations

from typing import Any

from django import template

from verification.models import VerificationRequest
from verification.selectors import verification_requests_for_team

register = template.Library()


@register.inclusion_tag("verification/_banner.html")
def verification_banner(team: Any) -> dict[str, Any]:
    if team is None:
        return {"requests": []}
    open_states = (VerificationRequest.State.REQUESTED, VerificationRequest.State.CODE_UPLOADED)
    return {"requests": [r for r in verification_requests_for_team(team) if r.state in open_states]}
