"""Usernames: what a new one may look like, and the one canonical form behind
uniqueness, login and the login rate limit.

Two spellings name the same account when their canonical forms are equal. The
canonical form is what authentication sees of a username (DRF trims the login
field; Django applies NFKC), casefolded. The database holds it in a unique
column (``User.username_canonical``), login looks accounts up by it, and the login
throttle counts attempts per canonical form, so no spelling of a name is a second
account, a way into someone else's, or a fresh rate-limit bucket.

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


def canonical_username(raw: str) -> str:
    """The form two spellings of one account share: NFKC, trimmed, casefolded."""
    return unicodedata.normalize("NFKC", raw).strip().casefold()


def is_reserved_username(raw: str) -> bool:
    return canonical_username(raw) in _RESERVED_CANONICAL


_RESERVED_CANONICAL = frozenset(canonical_username(n) for n in RESERVED_USERNAMES)


@deconstructible
class UsernameValidator(ASCIIUsernameValidator):
    """Django's ASCII rule, spelled so Python and JSON Schema read it alike."""

    regex = r"^[A-Za-z0-9_.@+-]+\Z"
    flags = re.ASCII
