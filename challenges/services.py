"""Writing challenges: loading one (tracks and phases) from its data file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from audit.models import AuditLogEntry
from audit.services import audit_record
from challenges.models import Challenge, ContentPage, Phase, Track

LID2020_DATA = Path(__file__).resolve().parent / "data" / "lid2020.json"


@transaction.atomic
def challenge_load(*, path: Path = LID2020_DATA, overrides: dict[str, Any] | None = None) -> Challenge:
    """Create or update the challenge described by a data file (idempotent: run it again safely).

    ``overrides`` may replace phase fields for every phase (the demo shortens the splits and moves
    the deadline into the future).
    """
    data = json.loads(Path(path).read_text())
    pages = {kind: (Path(path).parent / name).read_text(encoding="utf-8") for kind, name in data["pages"].items()}
    challenge, _ = Challenge.objects.update_or_create(
        slug=data["slug"],
        defaults={**{key: data[key] for key in ("title", "short_title", "description")}, "rules": pages["rules"]},
    )
    for kind, body in pages.items():
        # Shipped text only where a page is missing: an organizer's edits survive a second load.
        ContentPage.objects.get_or_create(challenge=challenge, kind=kind, defaults={"body": body})
    tracks = {}
    for item in data["tracks"]:
        tracks[item["number"]], _ = Track.objects.update_or_create(
            challenge=challenge,
            number=item["number"],
            defaults={key: item[key] for key in ("title", "dataset", "description", "key_metric")},
        )
    for item in data["phases"]:
        fields = {
            "starts_at": parse_datetime(item["starts_at"]),
            "ends_at": parse_datetime(item["ends_at"]),
            "image_count": item["image_count"],
            "max_submissions": item["max_submissions"],
            "max_submissions_per_day": item["max_submissions_per_day"],
        }
        fields.update(overrides or {})
        Phase.objects.update_or_create(track=tracks[item["track"]], split=item["split"], defaults=fields)
    return challenge


@transaction.atomic
def content_page_update(*, page: ContentPage, body: str, actor: Any) -> bool:
    """Save a content page's Markdown and log the edit (old and new text); False when nothing changed."""
    page = ContentPage.objects.select_for_update().select_related("challenge").get(pk=page.pk)
    if page.body == body:
        return False
    old = page.body
    page.body = body
    page.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    page.save(update_fields=["body", "updated_by", "updated_at"])
    if page.kind == ContentPage.Kind.RULES:
        # The API's "rules" field is the rules page's Markdown.
        Challenge.objects.filter(pk=page.challenge_id).update(rules=body)
    audit_record(
        actor=actor,
        action=AuditLogEntry.Action.CONTENT_CHANGED,
        summary=f"Edited the {page.get_kind_display()} page of {page.challenge} ({len(old):,} -> {len(body):,} characters).",
        target=page,
        old=old,
        new=body,
    )
    return True


@transaction.atomic
def content_page_create(*, challenge: Challenge, kind: str, body: str, actor: Any) -> ContentPage:
    """A new content page (the admin's "add"), logged like an edit."""
    page = ContentPage.objects.create(challenge=challenge, kind=kind, body="")
    content_page_update(page=page, body=body, actor=actor)
    page.refresh_from_db()
    return page
