"""Place names folded for comparison: the same place however a list spells it.

`fold` is the key reconciliation and the duplicates report compare: 'City of
København' and 'KOBENHAVN' fold alike, and so do 'St. Gallen' and 'Saint-Gallen'.
It is a key, not a name to show.
"""

import re
import unicodedata

# Letters that Unicode does not decompose into a base letter and a mark.
UNFOLDED_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ß": "ss"}
)

# Words lists put before or after a place's own name ("City of Rijeka", "Oslo kommune").
# Not "... City": Quezon City and Mexico City are the names themselves.
PREFIXES = (
    "city and county of",
    "city of",
    "town of",
    "township of",
    "village of",
    "borough of",
    "county of",
    "municipality of",
    "municipal council of",
    "ville de",
    "ville d",
    "commune de",
    "commune d",
    "mairie de",
    "stadt",
    "gemeinde",
    "landeshauptstadt",
    "hansestadt",
    "comune di",
    "comune d",
    "citta di",
    "gemeente",
    "municipio de",
    "municipio di",
    "municipalidad de",
    "ayuntamiento de",
    "ajuntament de",
    "concello de",
    "prefeitura de",
    "prefeitura municipal de",
    "camara municipal de",
    "miasto",
    "gmina",
    "mesto",
    "grad",
)
SUFFIXES = (
    "kommune",
    "kommun",
    "kunta",
    "kaupunki",
    "municipality",
    "municipal corporation",
    "municipal council",
    "city council",
    "city government",
    "gemeente",
    "stad",
)
# Abbreviations spelled out, as whole words of the folded name.
WORDS = {"st": "saint", "ste": "sainte", "sta": "santa", "sto": "santo", "mt": "mount", "ft": "fort"}

_PREFIX = re.compile(r"^(?:" + "|".join(re.escape(prefix) for prefix in PREFIXES) + r") ")
_SUFFIX = re.compile(r" (?:" + "|".join(re.escape(suffix) for suffix in SUFFIXES) + r")$")


def plain(name: str) -> str:
    """Lower case, accents and punctuation dropped, spaces collapsed: 'Saint-Étienne' -> 'saint etienne'."""
    text = unicodedata.normalize("NFKD", (name or "").casefold().translate(UNFOLDED_LETTERS))
    text = "".join(char for char in text if not unicodedata.combining(char))
    # An apostrophe joins ("Côte d'Ivoire" -> "cote divoire"); other punctuation separates.
    text = text.replace("'", "").replace("’", "")
    return " ".join("".join(char if char.isalnum() else " " for char in text).split())


def fold(name: str) -> str:
    """The comparison key of a place name: `plain`, then affixes such as 'City of',
    'Ville de', 'Comune di' or '... kommune' dropped and 'St.' read as 'Saint'.

    'City of København' -> 'kobenhavn'; 'St. Gallen' -> 'saint gallen'. A name that is
    nothing but an affix keeps it ('Stadt' -> 'stadt')."""
    text = plain(name)
    stripped = _SUFFIX.sub("", _PREFIX.sub("", text))
    text = stripped or text
    return " ".join(WORDS.get(word, word) for word in text.split())
