"""Page forms: they parse and validate input; the services do the writing."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import User
from lidserver.user_text import AFFILIATION_MAX, TEAM_NAME_MAX, NameValidator


class SignupForm(UserCreationForm):
    email = forms.EmailField(label="E-mail", help_text="For password resets; never shown to other teams.")
    affiliation = forms.CharField(
        label="Affiliation",
        max_length=AFFILIATION_MAX,
        required=False,
        validators=[NameValidator("affiliation")],
        help_text=f"At most {AFFILIATION_MAX} characters.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "affiliation")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail address exists; log in or reset its password.")
        return email


class TeamCreateForm(forms.Form):
    name = forms.CharField(
        label="Team name",
        max_length=TEAM_NAME_MAX,
        validators=[NameValidator("team name")],
        help_text=f"At most {TEAM_NAME_MAX} characters; shown on the leaderboard.",
    )
    affiliation = forms.CharField(
        label="Affiliation",
        max_length=AFFILIATION_MAX,
        required=False,
        validators=[NameValidator("affiliation")],
        help_text=f"At most {AFFILIATION_MAX} characters.",
    )


class TeamJoinForm(forms.Form):
    invite_code = forms.CharField(label="Invite code", max_length=200)
