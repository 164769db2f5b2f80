"""The code lists the catalogue accepts: IANA time zones, ISO 4217 currencies and
ISO 639-1 languages, each read once from a pinned package (tzdata, pycountry), so
every machine accepts the same names whatever its operating system ships."""

from functools import cache
from importlib import resources

import pycountry

# tzdata lists "Factory" (a placeholder zone whose abbreviation reads "-00"): no
# theater is there.
_NOT_A_PLACE = {"Factory"}

# ISO 4217 also codes what no cinema charges in: precious metals, bond-market
# units, the IMF's drawing right, accounting units, the testing and "no
# currency" codes.
_NOT_MONEY = {
    "XAD", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU",
    "XTS", "XUA", "XXX",
}  # fmt: skip


@cache
def timezones() -> frozenset[str]:
    names = resources.files("tzdata").joinpath("zones").read_text().split()
    return frozenset(names) - _NOT_A_PLACE


@cache
def currencies() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies) - _NOT_MONEY


@cache
def languages() -> frozenset[str]:
    return frozenset(
        lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")
    )


def is_timezone(name: object) -> bool:
    return isinstance(name, str) and name in timezones()


def is_currency(code: object) -> bool:
    return isinstance(code, str) and code in currencies()


def is_language(code: object) -> bool:
    return isinstance(code, str) and code in languages()
