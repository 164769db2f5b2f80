"""Root URLconf: each app is mounted under /api/."""

from django.contrib import admin
from django.urls import include, path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .converters import IdConverter
from .exceptions import api_not_found
from .views import (
    HealthView,
    LivenessView,
    ReadinessView,
    admin_login,
    metrics_view,
)

# Before the apps' URLconfs are included: they use <id:...>.
register_converter(IdConverter, "id")

urlpatterns = [
    # Ahead of the admin's own: the same login view, rate-limited like the API's.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("api/auth/", include("accounts.urls")),
    path("api/", include("movies.urls")),
    path("api/", include("theaters.urls")),
    path("api/", include("reservations.urls")),
    path("api/", include("payments.urls")),
    path("api/", include("showtimes.urls")),
    path("api/", include("pricing.urls")),
    path("api/", include("tickets.urls")),
    path("api/", include("reports.urls")),
    path("api/", include("waitlist.urls")),
    path("api/", include("webhooks.urls")),
    path("api/health/", HealthView.as_view(), name="health"),
    path("api/health/live/", LivenessView.as_view(), name="health-live"),
    path("api/health/ready/", ReadinessView.as_view(), name="health-ready"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    re_path(r"^api/", api_not_found),
    path("metrics", metrics_view, name="metrics"),
    path("", include("web.urls")),
]

handler400 = "movie_api.exceptions.handler400"
handler404 = "movie_api.exceptions.handler404"
handler500 = "movie_api.exceptions.handler500"
