"""E-mail notices to the uploader when a submission is scored, rejected or failed (plain text)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from lidserver.formatting import percent
from submissions.models import Status, Submission

logger = logging.getLogger(__name__)

_SUBJECTS = {
    Status.SCORED: "Submission {id} scored: {label} {value}%",
    Status.REJECTED: "Submission {id} rejected: {code}",
    Status.FAILED: "Submission {id} could not be scored",
}
_LABELS = {"mean_iou": "Mean IoU", "peak_iou": "Peak-IoU"}


def notify_submission_finished(*, submission_id: int) -> bool:
    """Send the notice for a finished submission; a mail failure is logged, never raised."""
    sub = Submission.objects.select_related("phase__track__challenge", "team", "uploaded_by").get(pk=submission_id)
    user = sub.uploaded_by
    if sub.status not in _SUBJECTS or user is None or not user.email:
        return False
    track = sub.phase.track
    label = _LABELS.get(track.key_metric, track.key_metric)
    ci = None
    if sub.ci_low is not None and sub.ci_high is not None:
        ci = f"{percent(sub.ci_low)}% to {percent(sub.ci_high)}%"
    context = {
        "sub": sub,
        "user": user,
        "track": track,
        "challenge": track.challenge,
        "key_metric_label": label,
        "score_percent": percent(sub.score),
        "ci": ci,
        "link": f"{settings.SITE_URL.rstrip('/')}/submissions/{sub.pk}/",
    }
    subject = _SUBJECTS[sub.status].format(id=sub.pk, label=label, value=percent(sub.score), code=sub.error_code)
    body = render_to_string(f"submissions/email/{sub.status}.txt", context).strip() + "\n"
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    except Exception:
        logger.exception("Could not e-mail %s about submission %s", user.email, sub.pk)
        return False
    return True
