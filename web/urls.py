"""Routes for the booking page served at /."""

from django.urls import path

from .views import BookingPageView

urlpatterns = [path("", BookingPageView.as_view(), name="booking-page")]
