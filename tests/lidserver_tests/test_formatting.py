"""One formatter for scores: pages (a builtin filter), e-mails, admin and commands write them alike."""

from __future__ import annotations

import math

from django.template import Context, Template

from lidserver.formatting import metric_text, percent, track_columns


def test_percent_and_its_missing_value() -> None:
    # 0.123449 * 100 = 12.3449 -> "12.34"; missing, NaN and infinite values are an en dash.
    assert [percent(0.123449), percent(1), percent(None), percent(math.nan), percent(math.inf)] == [
        "12.34", "100.00", "–", "–", "–",
    ]  # fmt: skip
    assert [metric_text(96, "thr"), metric_text(96 / 255, "thr"), metric_text(None, "thr")] == ["96", "96", "–"]


def test_every_template_has_the_percent_filter_without_loading_it() -> None:
    text = Template("{{ a|percent }} {{ b|percent }}").render(Context({"a": 0.5, "b": None}))
    assert text == "50.00 –"


def test_columns_follow_the_tracks_kind() -> None:
    assert [c.key for c in track_columns(1)] == [c.key for c in track_columns(2)]
    assert [(c.key, c.label) for c in track_columns(2)] == [
        ("mean_iou", "Mean IoU"), ("mean_accuracy", "Mean Accuracy"), ("pixel_accuracy", "Pixel Accuracy"),
    ]  # fmt: skip
    assert [(c.key, c.kind) for c in track_columns(3)] == [("peak_iou", "pct"), ("peak_threshold", "thr")]
