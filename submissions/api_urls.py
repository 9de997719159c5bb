"""API routes of this app; they are mounted under /api/ in the "api" namespace."""

from django.urls import path

from submissions import apis

urlpatterns = [
    path(
        "challenges/<slug:slug>/tracks/<int:number>/<str:split>/submissions/",
        apis.PhaseSubmissionsApi.as_view(),
        name="phase-submissions",
    ),
    path(
        "challenges/<slug:slug>/tracks/<int:number>/<str:split>/submissions/check/",
        apis.PhaseSubmissionCheckApi.as_view(),
        name="phase-submissions-check",
    ),
    path("submissions/", apis.MySubmissionsApi.as_view(), name="my-submissions"),
    path("submissions/<int:submission_id>/", apis.SubmissionDetailApi.as_view(), name="submission-detail"),
    path(
        "submissions/<int:submission_id>/representative/",
        apis.SubmissionRepresentativeApi.as_view(),
        name="submission-representative",
    ),
]
