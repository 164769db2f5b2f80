"""The booking page: one static HTML shell whose scripts use the public API only."""

from django.views.generic import TemplateView


class BookingPageView(TemplateView):
    template_name = "web/index.html"
