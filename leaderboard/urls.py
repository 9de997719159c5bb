from django.urls import path

from leaderboard import views

app_name = "leaderboard"
_board = "c/<slug:slug>/track/<int:number>/<str:split>/"
urlpatterns = [
    path(f"{_board}leaderboard/", views.board, name="board"),
    path(f"{_board}leaderboard.json", views.board_json, name="board_json"),
    path(f"{_board}leaderboard/curves.json", views.board_curves_json, name="board_curves"),
    path("compare/", views.compare, name="compare"),
    path("healthz", views.healthz, name="healthz"),
]
