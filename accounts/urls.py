"""Account and team pages.

Mounted at the site root (``path("", include("accounts.urls"))``) because the team pages live
under ``/c/<slug>/`` while the account pages live under ``/accounts/``; both are in the
``accounts`` namespace (docs/CONTRACT.md).
"""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views

app_name = "accounts"

_password_reset = [
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(
            template_name="registration/password_reset_form.html",
            email_template_name="registration/password_reset_email.html",
            subject_template_name="registration/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "accounts/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/tokens/", views.tokens, name="tokens"),
    *_password_reset,
    path("c/<slug:slug>/team/", views.team, name="team"),
    path("c/<slug:slug>/team/create/", views.team_create, name="team_create"),
    path("c/<slug:slug>/team/join/", views.team_join_by_code, name="team_join_by_code"),
    path("c/<slug:slug>/team/leave/", views.team_leave, name="team_leave"),
    path("c/<slug:slug>/team/members/<int:user_id>/remove/", views.team_remove_member, name="team_remove_member"),
    path("c/<slug:slug>/team/invite-code/", views.team_regenerate_invite_code, name="team_invite_code"),
    path("c/<slug:slug>/join/<str:invite_code>/", views.join, name="join"),
]
