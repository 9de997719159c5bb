"""API routes of this app; they are mounted under /api/ in the "api" namespace."""

from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/token/", apis.TokenApi.as_view(), name="auth-token"),
    path("me/", apis.MeApi.as_view(), name="me"),
    path("challenges/<slug:slug>/teams/", apis.TeamCreateApi.as_view(), name="team-create"),
    path("teams/join/", apis.TeamJoinApi.as_view(), name="team-join"),
    path("teams/<int:team_id>/", apis.TeamDetailApi.as_view(), name="team-detail"),
    path("teams/<int:team_id>/leave/", apis.TeamLeaveApi.as_view(), name="team-leave"),
    path("teams/<int:team_id>/members/<int:user_id>/", apis.TeamMemberApi.as_view(), name="team-member"),
    path("teams/<int:team_id>/invite-code/", apis.TeamInviteCodeApi.as_view(), name="team-invite-code"),
]
