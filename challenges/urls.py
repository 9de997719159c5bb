from django.urls import path

from challenges import views

app_name = "challenges"
urlpatterns = [
    path("", views.home, name="home"),
    path("c/<slug:slug>/", views.detail, name="detail"),
    path("c/<slug:slug>/rules/", views.rules, name="rules"),
    path("c/<slug:slug>/track/<int:number>/", views.track, name="track"),
]
