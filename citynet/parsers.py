"""The API's JSON parser (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]): DRF's, refusing with 400 a
body nested deeper than any Citynet payload before Python's json recurses into it.

A module of its own: DRF reads DEFAULT_PARSER_CLASSES while it defines APIView, so the parser's
module must not import DRF's views (citynet/api.py does).
"""

import io
import re
from array import array
from itertools import accumulate

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# More levels of arrays and objects than any Citynet payload has (a coding with its evidence: 3).
MAX_JSON_DEPTH = 32
JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
BRACKET_STEPS = str.maketrans({"[": "\x01", "{": "\x01", "]": "\xff", "}": "\xff"})


def json_depth(text: str) -> int:
    """How deeply the arrays and objects of the JSON text `text` nest (brackets inside strings
    do not count), found without parsing: C-speed passes over the text, about 0.1 s for the
    largest body Django accepts (DATA_UPLOAD_MAX_MEMORY_SIZE). Malformed JSON gets a number
    too, which the parser's error then makes moot."""
    brackets = NOT_A_BRACKET.sub("", JSON_STRING.sub("", text))
    steps = array("b", brackets.translate(BRACKET_STEPS).encode("latin-1"))  # +1 opens, -1 closes
    return max(accumulate(steps), default=0)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (the API's, REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]), refusing a body
    that nests arrays and objects more than MAX_JSON_DEPTH levels deep with a 400 before it is
    parsed. Python's json recurses once per level: a 6 kB body nested 1,000 levels deep would
    otherwise raise RecursionError, a 500."""

    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        encoding = parsers.get_encoding(parser_context or {})
        if json_depth(body.decode(encoding, errors="replace")) > self.max_depth:
            raise ParseError(f"JSON parse error - nested more than {self.max_depth} levels deep.")
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested more than {self.max_depth} levels deep.") from None
