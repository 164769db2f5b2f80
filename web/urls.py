"""Routes for the booking page served at /."""

urlpatterns: list = []
