"""Signals the catalogue sends so that the booking side can react without being known.

``showtime_cancelled(sender=Showtime, showtime, actor)`` is sent inside the
transaction that sets ``is_cancelled``, with the showtime row locked: receivers'
writes commit or roll back with the cancellation.
"""

from django.dispatch import Signal

showtime_cancelled = Signal()
