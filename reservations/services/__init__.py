"""Booking use cases: hold seats, change them, purchase, cancel, expire.

One module per use case: ``holds`` (create, change, expire), ``purchase``,
``cancellation``, ``comps``; and what they share: ``locking`` (the one way to take
the lock and decide), ``seats`` (labels, ticket types, prices, availability,
claims), ``vouchers`` (validity, uses, discounts), ``limits`` (hoarding limits),
``expiry`` (ending holds in bulk), ``audit`` (the trail), ``refunds`` (the one
way money goes back: ``refund_payment``), ``blocks`` (seats the
cinema withdraws from sale, decided under the same showtime lock). Import the use cases from
here.

Locking rule
============
Every use case that decides about seats runs inside
``locking.decide_on_showtime(showtime_id)``, which opens one
``transaction.atomic()`` and, in this order:

1. locks the ``Showtime`` row, and only that row (``SELECT ... FOR UPDATE`` on
   PostgreSQL; on SQLite ``select_for_update`` is a no-op, but the settings open
   every transaction with ``BEGIN IMMEDIATE``, which already holds the database's
   write lock, so writers queue behind each other);
2. releases this showtime's expired holds (status ``expired``, seats inactive), so a
   stale hold never blocks a seat and the unique index below no longer counts it;
3. hands the use case the locked showtime and ``now``: it re-reads the state it
   decides on (never trusts the instance it was given), checks the rules, and
   writes. Seat rows are inserted in seat-id order, and a change of seat state bumps
   ``Showtime.seats_version`` on the locked row (``audit.bump_seats_version``),
   which keys the cached seat map (``selectors.get_seat_map_json``). An error that
   must keep what was written (a hold found expired) leaves through
   ``locking.raise_after_commit``; any other error rolls everything back.

``create_reservation`` alone takes a second lock, after step 2: the user's row
(``FOR NO KEY UPDATE``, ``locking.lock_user``), because the limit on active holds
per user spans showtimes, so the showtime lock cannot serialise two holds of one
user on different showtimes. It is always taken after a showtime lock and never
before one, and nothing else locks user rows while holding a showtime lock, so no
two transactions can wait for each other in opposite orders. ``NO KEY`` keeps it
from blocking the foreign-key checks of rows that merely point at the user (tokens,
idempotency keys, audit rows). Cancellation locks the reservation's tickets (after
the showtime) so that a racing check-in is either seen or refused.

Vouchers come last. A hold that uses a voucher takes one use with a conditional
UPDATE (``uses < max_uses``, ``vouchers.claim_use``), which row-locks the voucher
until commit: always after the showtime lock and after the user lock (taken
before it by ``create_reservation``, and by ``change_seats`` when it switches to
another voucher). Giving uses back (expiry, the holds of a cancelled showtime,
cancelling a hold, replacing or removing a voucher, a comp) updates the voucher
rows, in voucher-id order, after the showtime lock. No transaction locks a
showtime or a user after a voucher, so the order showtime -> user -> voucher never
inverts. The voucher lock is what keeps ``max_uses`` between holds on different
showtimes, which the showtime lock does not serialise.

One showtime lock per transaction, always on the same kind of row, means two
bookings never wait for each other in opposite orders, so they cannot deadlock. The
one exception is a screen block (``blocks.block_screen_seats`` and its removal): it
locks every showtime it covers, in id order (the order the catalogue's own
multi-showtime writes use too), and takes no user or voucher lock, so it cannot
close a cycle either. A showtime created on the screen while a screen block commits
honours the block from then on; a hold on it that commits first keeps its seat (the
seat map shows it held, then blocked once freed). The
database is the backstop: the partial unique index ``uniq_reservedseat_showtime_seat``
(showtime, seat) WHERE is_active refuses a second active claim on a seat even if a
code path forgot the lock; its ``IntegrityError`` becomes ``SeatsUnavailable`` (409).

Every state change appends a ``ReservationEvent`` (the audit trail) in the same
transaction, so a change and its record commit or roll back together. A deadlock or
serialization failure on PostgreSQL is retried once
(``retry_once_on_transaction_conflict``) by the functions that own a transaction.

Payment gateways are called *outside* the lock (a slow gateway must not stall every
booking of a showtime); see ``purchase``. Refunds go through
``refunds.refund_payment`` after the deciding transaction committed; see
``cancellation``.
"""

from .audit import record_check_in
from .blocks import (
    block_screen_seats,
    block_seats,
    remove_block,
    remove_screen_block,
)
from .cancellation import cancel_reservation, cancel_seats, refund_in_full
from .comps import comp_reservation
from .expiry import (
    cancel_holds_of_cancelled_showtime,
    on_showtime_cancelled,
    release_expired_holds,
)
from .holds import KEEP, change_seats, create_reservation, expire_holds
from .purchase import purchase_reservation
from .seats import (
    CODE_ALPHABET,
    clean_labels,
    ensure_open,
    generate_reservation_code,
    generate_ticket_code,
    hold_deadline,
)
from .swaps import swap_seats

__all__ = [
    "CODE_ALPHABET",
    "KEEP",
    "block_screen_seats",
    "block_seats",
    "cancel_holds_of_cancelled_showtime",
    "cancel_reservation",
    "cancel_seats",
    "change_seats",
    "clean_labels",
    "comp_reservation",
    "create_reservation",
    "ensure_open",
    "expire_holds",
    "generate_reservation_code",
    "generate_ticket_code",
    "hold_deadline",
    "on_showtime_cancelled",
    "purchase_reservation",
    "record_check_in",
    "refund_in_full",
    "release_expired_holds",
    "remove_block",
    "remove_screen_block",
    "swap_seats",
]
