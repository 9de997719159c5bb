"""API routes of this app; they are mounted under /api/ in the "api" namespace."""

from django.urls import path

from verification import apis

urlpatterns = [
    path("verification/mine/", apis.MyVerificationRequestsApi.as_view(), name="verification-mine"),
    path("verification/<int:request_id>/code/", apis.VerificationCodeApi.as_view(), name="verification-code"),
]
