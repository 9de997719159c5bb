from django.urls import path, re_path

from challenges import views

app_name = "challenges"
urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.detail, name="detail"),
    path("c/<slug:slug>/rules/", views.rules, name="rules"),
    # The other content pages (rules keeps its own name: docs/CONTRACT.md).
    re_path(
        r"^c/(?P<slug>[-a-zA-Z0-9_]+)/(?P<page>overview|data|evaluation|timeline|organizers)/$", views.page, name="page"
    ),
    path("c/<slug:slug>/track/<int:number>/", views.track, name="track"),
]
