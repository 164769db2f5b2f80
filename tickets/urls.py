"""Routes for tickets: QR codes, check-in and best-available seats."""

urlpatterns: list = []
