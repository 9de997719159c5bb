from django.urls import path

from verification import views

app_name = "verification"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/code/", views.download, name="download"),
    path("<int:pk>/upload/", views.upload, name="upload"),
]
