"""URL map: pages from each app, the API under /api/, the admin under /admin/."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from lidserver.errors import api_not_found

api_patterns = [
    path("", include("accounts.api_urls")),
    path("", include("challenges.api_urls")),
    path("", include("submissions.api_urls")),
    path("", include("leaderboard.api_urls")),
    path("", include("verification.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Last: any other /api/ address answers the JSON error body, not Django's HTML 404 page.
    re_path(r"^(?P<path>.*)$", api_not_found, name="not-found"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include((api_patterns, "api"))),
    path("", include("accounts.urls")),
    path("verification/", include("verification.urls")),
    path("", include("submissions.urls")),
    path("", include("leaderboard.urls")),
    path("", include("challenges.urls")),
]
