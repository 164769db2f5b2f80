"""Routes for tickets: QR codes, check-in and best-available seats (under /api/)."""

from django.urls import path

from .views import BestSeatsView, CheckInView, TicketQRCodeView

urlpatterns = [
    path("tickets/<str:code>/qr.svg", TicketQRCodeView.as_view(), name="ticket-qr"),
    path("check-in/", CheckInView.as_view(), name="check-in"),
    path("showtimes/<id:pk>/best-seats/", BestSeatsView.as_view(), name="best-seats"),
]
