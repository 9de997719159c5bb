"""Submission pages (docs/CONTRACT.md, "URLs (pages)")."""

from django.urls import path

from submissions import views

app_name = "submissions"
_phase = "c/<slug:slug>/track/<int:number>/<str:split>/"
urlpatterns = [
    path(f"{_phase}submit/", views.upload, name="upload"),
    path(f"{_phase}submissions/", views.submission_list, name="list"),
    path("submissions/<int:submission_id>/", views.detail, name="detail"),
    path("submissions/<int:submission_id>/status.json", views.status_json, name="status"),
    path("submissions/<int:submission_id>/representative/", views.representative, name="representative"),
]
