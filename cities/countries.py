"""Countries: names for ISO 3166-1 alpha-2 codes, and codes for what files write
(alpha-2, alpha-3, English names and common variants), via pycountry plus codes and
names it lacks."""

from functools import cache

import pycountry

from cities.names import plain

# Codes in use that ISO 3166-1 (and so pycountry) does not list.
EXTRA_COUNTRIES = {"XK": "Kosovo"}

# What lists write that pycountry does not read as a country, folded -> alpha-2.
ALIASES = {
    "usa": "US",
    "us": "US",
    "united states": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "united kingdom": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "the netherlands": "NL",
    "holland": "NL",
    "netherlands the": "NL",
    "turkey": "TR",
    "turkiye": "TR",
    "czech republic": "CZ",
    "czechia": "CZ",
    "ivory coast": "CI",
    "cote divoire": "CI",
    "kosovo": "XK",
    "xkx": "XK",
    "kos": "XK",
    "palestine": "PS",
    "state of palestine": "PS",
    "palestinian territories": "PS",
    "russia": "RU",
    "south korea": "KR",
    "korea": "KR",
    "republic of korea": "KR",
    "korea republic of": "KR",
    "north korea": "KP",
    "iran": "IR",
    "syria": "SY",
    "vietnam": "VN",
    "viet nam": "VN",
    "laos": "LA",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "macedonia": "MK",
    "north macedonia": "MK",
    "taiwan": "TW",
    "cape verde": "CV",
    "swaziland": "SZ",
    "eswatini": "SZ",
    "burma": "MM",
    "dr congo": "CD",
    "drc": "CD",
    "democratic republic of the congo": "CD",
    "democratic republic of congo": "CD",
    "congo kinshasa": "CD",
    "republic of the congo": "CG",
    "congo brazzaville": "CG",
    "congo": "CG",
    "brunei": "BN",
    "micronesia": "FM",
    "vatican": "VA",
    "vatican city": "VA",
    "east timor": "TL",
    "the gambia": "GM",
    "gambia": "GM",
    "the bahamas": "BS",
    "bahamas": "BS",
    "hong kong": "HK",
    "macau": "MO",
    "macao": "MO",
}
# Codes a file may write that name no country: ISO's user-assigned and reserved codes.
NOT_COUNTRIES = {"ZZ", "XX", "AA", "QM", "QZ", "EU", "UN", "ZZZ", "XXX"}
# Notes for a code read from something that is not ISO's own code for it.
NOTES = {"UK": "'UK' read as GB (ISO's code for the United Kingdom)"}


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


@cache
def country_code(text: str) -> tuple[str, str]:
    """(alpha-2 code, note) for a country as files write it: 'NO', 'NOR', 'Norway',
    'The Netherlands', 'USA', 'Türkiye', 'Kosovo'. The note says when a code-like text
    was read as another code ('UK' -> GB). Raises ValueError for what names no country ('ZZ')."""
    raw = (text or "").strip()
    if not raw:
        raise ValueError("the country is missing")
    upper = raw.upper()
    if upper in NOT_COUNTRIES:
        raise ValueError(f"'{raw}' is not a country code")
    if upper in NOTES:
        return ALIASES[upper.lower()], NOTES[upper]
    if len(upper) == 2 and upper.isalpha():
        if upper in EXTRA_COUNTRIES or pycountry.countries.get(alpha_2=upper):
            return upper, ""
        raise ValueError(f"'{raw}' is not a country code")
    if len(upper) == 3 and upper.isalpha():
        country = pycountry.countries.get(alpha_3=upper)
        if country is not None:
            return country.alpha_2, ""
    key = plain(raw)
    code = ALIASES.get(key) or ALIASES.get(key.removeprefix("the "))
    if code is None:
        try:
            code = pycountry.countries.lookup(raw).alpha_2
        except LookupError:
            code = _by_folded_name().get(key)
    if code is None:
        raise ValueError(f"'{raw}' is not a country pycountry or Citynet knows (use the ISO code, e.g. NO)")
    return code, ""


@cache
def _by_folded_name() -> dict[str, str]:
    """Every name pycountry gives a country (name, official and common), folded: 'mexico' for México."""
    names = {}
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                names[plain(value)] = country.alpha_2
                # 'Bolivia, Plurinational State of' -> 'bolivia'
                names.setdefault(plain(value.split(",")[0]), country.alpha_2)
    return names
