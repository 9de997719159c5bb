"""API routes of this app; they are mounted under /api/ in the "api" namespace."""

from django.urls import path

from leaderboard import apis

_board = "challenges/<slug:slug>/tracks/<int:number>/<str:split>/leaderboard/"
urlpatterns = [
    path(_board, apis.LeaderboardApi.as_view(), name="leaderboard"),
    path(f"{_board}export/", apis.LeaderboardExportApi.as_view(), name="leaderboard-export"),
]
