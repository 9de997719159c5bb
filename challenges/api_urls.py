"""API routes of this app; they are mounted under /api/ in the "api" namespace."""

from django.urls import path

from challenges import apis

urlpatterns = [
    path("challenges/", apis.ChallengeListApi.as_view(), name="challenge-list"),
    path("challenges/<slug:slug>/", apis.ChallengeDetailApi.as_view(), name="challenge-detail"),
    path(
        "challenges/<slug:slug>/tracks/<int:number>/<str:split>/",
        apis.PhaseDetailApi.as_view(),
        name="phase-detail",
    ),
    path(
        "challenges/<slug:slug>/tracks/<int:number>/<str:split>/manifest/",
        apis.PhaseManifestApi.as_view(),
        name="phase-manifest",
    ),
]
