"""CSV for every list and aggregate of the API: streamed, UTF-8, attributed, safe in spreadsheets.

A CSV download is a few `#` comment lines naming what it is, where it came from and under
which licence (see `attribution_lines`), then a header row of stable column names, then
one row per record. Cells that a spreadsheet would run as a formula are prefixed with `'`.
"""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework.renderers import BaseRenderer

GEONAMES_ATTRIBUTION = "Contains data from GeoNames (https://www.geonames.org/), licensed CC BY 4.0."
# OWASP's list: a leading =, +, -, @, tab or carriage return starts a formula in common spreadsheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = " | "


def neutralise(value: object) -> object:
    """A cell safe to open in a spreadsheet: text that looks like a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def flatten(value: object) -> object:
    """A JSON value as one CSV cell: lists joined with ' | ', nested objects as key=value."""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(flatten(item)) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}={flatten(item)}" for key, item in value.items())
    return value


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[dict], columns: list[str], comments: list[str]) -> Iterator[str]:
    """The text of a CSV download, line by line: `# ` comments, header, then the rows.

    Strings are quoted and numbers are not, so a `#` inside a cell never reads as a
    comment and a reader can tell 3 from "3"; missing values are empty.
    """
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    for comment in comments:
        yield "# " + " ".join(comment.splitlines()) + "\r\n"
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow(
            ["" if row.get(column) is None else neutralise(flatten(row.get(column))) for column in columns]
        )


def csv_response(
    rows: Iterable[dict], *, columns: list[str], comments: list[str], filename: str, status: int = 200
) -> StreamingHttpResponse:
    """Stream `rows` as an attributed CSV download named `<filename>.csv`."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(rows, columns, comments)),
        content_type="text/csv; charset=utf-8",
        status=status,
    )
    response["Content-Disposition"] = f'attachment; filename="citynet-{filename}.csv"'
    return response


def attribution_lines(what: str, url: str, attribution: list[str]) -> list[str]:
    """The comment block of a download: what it is, its permalink and retrieval time, its sources."""
    retrieved = timezone.now().replace(microsecond=0).isoformat()
    return [f"Citynet API v1: {what}. {url} (retrieved {retrieved})", *attribution]


class CSVRenderer(BaseRenderer):
    """`?format=csv` or `Accept: text/csv`.

    Lists and aggregates stream their own CSV (all rows, not one page) before a renderer
    is needed; this renders what is left: one object (a detail) or an error, as one row.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        rows = data if isinstance(data, list) else [data]
        rows = [row if isinstance(row, dict) else {"detail": row} for row in rows]
        columns = list(dict.fromkeys(column for row in rows for column in row))
        return "".join(csv_lines(rows, columns, comments=[])).encode("utf-8")
