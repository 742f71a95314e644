"""Country names for ISO 3166-1 alpha-2 codes (pycountry, plus codes it lacks)."""

from functools import cache

import pycountry

# Codes in use that ISO 3166-1 (and so pycountry) does not list.
EXTRA_COUNTRIES = {"XK": "Kosovo"}


@cache
def country_name(code: str) -> str:
    """The common English name for an alpha-2 code, or the code itself when unknown."""
    code = (code or "").upper()
    if code in EXTRA_COUNTRIES:
        return EXTRA_COUNTRIES[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name
