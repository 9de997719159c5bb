"""Forms of the verification pages: the team's upload and the verifier's decision."""

from __future__ import annotations

from django import forms
from django.conf import settings

from lidserver.user_text import VERIFICATION_INSTRUCTIONS_MAX, VERIFIER_NOTE_MAX
from verification.models import VerificationRequest


class CodeUploadForm(forms.Form):
    archive = forms.FileField(
        label="Inference code (.zip or .tar.gz)", widget=forms.FileInput(attrs={"accept": ".zip,.tar.gz,.tgz"})
    )
    declared_parameters = forms.IntegerField(
        label="Measured parameter count",
        min_value=0,
        help_text=f"Must be below {settings.MAX_DECLARED_PARAMETERS:,}.",
    )
    instructions = forms.CharField(
        max_length=VERIFICATION_INSTRUCTIONS_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="How to run the code to reproduce your submission: environment, commands, weights "
        f"(at most {VERIFICATION_INSTRUCTIONS_MAX:,} characters).",
    )


class DecisionForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=[
            (VerificationRequest.State.VERIFIED, "Verified: the result was reproduced"),
            (VerificationRequest.State.DISQUALIFIED, "Disqualified"),
        ],
        widget=forms.RadioSelect,
    )
    reproduced_score = forms.FloatField(
        required=False, min_value=0, max_value=100, help_text="The key metric you obtained, in percent."
    )
    measured_parameters = forms.IntegerField(
        required=False, min_value=0, help_text=f"Must be below {settings.MAX_DECLARED_PARAMETERS:,}."
    )
    confirm_difference = forms.BooleanField(
        required=False,
        label="Verify despite the difference",
        help_text="Needed only when the reproduced score is further from the board's score than the tolerance.",
    )
    note = forms.CharField(
        required=False,
        max_length=VERIFIER_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"At most {VERIFIER_NOTE_MAX:,} characters.",
    )
