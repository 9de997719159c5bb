"""Writing challenges: loading one (tracks and phases) from its data file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from challenges.models import Challenge, Phase, Track

LID2020_DATA = Path(__file__).resolve().parent / "data" / "lid2020.json"


@transaction.atomic
def challenge_load(*, path: Path = LID2020_DATA, overrides: dict[str, Any] | None = None) -> Challenge:
    """Create or update the challenge described by a data file (idempotent: run it again safely).

    ``overrides`` may replace phase fields for every phase (the demo shortens the splits and moves
    the deadline into the future).
    """
    data = json.loads(Path(path).read_text())
    challenge, _ = Challenge.objects.update_or_create(
        slug=data["slug"],
        defaults={key: data[key] for key in ("title", "short_title", "description", "rules")},
    )
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
