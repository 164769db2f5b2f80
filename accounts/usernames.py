"""Usernames: what a new one may look like, and the one canonical form behind
uniqueness, login and the login rate limit.

Two spellings name the same account when their canonical forms are equal. The
canonical form is what authentication sees of a username (DRF trims the login
field; Django applies NFKC), casefolded. The database holds it in a unique
column (``User.username_canonical``), login looks accounts up by it, and the login
throttle counts attempts per canonical form, so no spelling of a name is a second
account, a way into someone else's, or a fresh rate-limit bucket.

Within ASCII, the canonical form also folds the characters Unicode's confusables
table (TR39) gives for each other: ``0``/``o``, ``1``/``l``/``i`` (a capital I
reads as l), ``rn``/``m``, ``vv``/``w``, ``cl``/``d``. So ``cust0mer``,
``custorner`` and ``Customer`` are all the account ``customer``. The price is that a
few honest pairs (``mail`` and ``mall``) cannot both exist: a name shown at the
door must not pass for another.

New usernames are ASCII only (letters, digits, ``@ . + - _``). Look-alikes across
scripts (Cyrillic ``\\u0455`` for Latin ``s``) cannot be registered at all, and the rule
is one regular expression that means the same in Python and in the JSON Schema
pattern the OpenAPI document publishes (``\\w`` does not: Unicode in Python, ASCII
in ECMA-262).
"""

import re
import unicodedata

from django.contrib.auth.validators import ASCIIUsernameValidator
from django.utils.deconstruct import deconstructible

# Names that suggest authority (or that the demo data creates) stay with the
# operators: registration refuses any spelling of them.
RESERVED_USERNAMES = frozenset(
    {
        "admin",
        "administrator",
        "boxoffice",
        "box-office",
        "box_office",
        "customer",
        "help",
        "manager",
        "moderator",
        "noreply",
        "no-reply",
        "postmaster",
        "root",
        "security",
        "staff",
        "superuser",
        "support",
        "system",
        "webmaster",
    }
)


# ASCII confusables (Unicode TR39), applied after casefolding, longest first.
CONFUSABLES = (
    ("rn", "m"),
    ("vv", "w"),
    ("cl", "d"),
    ("0", "o"),
    ("1", "l"),
    ("i", "l"),
)
# Decoration around a name: "admin1", "_admin", "manager." read as the name.
DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def _fold(name: str) -> str:
    """NFKC, trimmed, casefolded: what authentication sees of a username."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def _skeleton(folded: str) -> str:
    for confusable, prototype in CONFUSABLES:
        folded = folded.replace(confusable, prototype)
    return folded


def canonical_username(raw: str) -> str:
    """The form two spellings of one account share: NFKC, trimmed, casefolded,
    ASCII confusables folded."""
    return _skeleton(_fold(raw))


def is_reserved_username(raw: str) -> bool:
    """A reserved name in any spelling, with or without digits or punctuation
    around it."""
    return _skeleton(DECORATION.sub("", _fold(raw))) in _RESERVED_CANONICAL


_RESERVED_CANONICAL = frozenset(canonical_username(n) for n in RESERVED_USERNAMES)


@deconstructible
class UsernameValidator(ASCIIUsernameValidator):
    """Django's ASCII rule, spelled so Python and JSON Schema read it alike."""

    regex = r"^[A-Za-z0-9_.@+-]+\Z"
    flags = re.ASCII
