"""Signals the theaters app sends so that apps building on it can react unknown.

``theater_timezone_changed(sender=Theater, theater, old_timezone)`` is sent inside
the transaction that saves a theater's new ``timezone``, with the theater row
locked: receivers' writes (showtimes move their business dates) commit or roll
back with the change.
"""

from django.dispatch import Signal

theater_timezone_changed = Signal()
