"""CSV for every list and aggregate of the API: streamed, UTF-8, attributed, safe in spreadsheets.

A CSV download is a few `#` comment lines naming what it is, where it came from and under
which licence (see `networks.research.citations.attribution_lines`), then a header row of stable column names, then
one row per record. Cells that a spreadsheet would run as a formula are prefixed with `'`;
so is any part of a comment line that a spreadsheet would read as a cell of its own.
"""

import csv
import io
import itertools
import re
from collections.abc import Iterable
from collections.abc import Iterator

from django.http import HttpResponse
from django.http import StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework.renderers import BaseRenderer

# OWASP's list: a leading =, +, -, @, tab or carriage return starts a formula in common spreadsheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = " | "
# In a comment line: control characters (a line break would end the line, a tab is a separator
# to some readers), and a comma or semicolon (a separator to spreadsheets, the semicolon in
# locales such as Danish) whose following text, spaces aside, would start a formula or a quoted cell.
COMMENT_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
COMMENT_CELL_START = re.compile(r"([,;] *)(?=[=+\-@\"])")
# An XLSX download is built in memory (openpyxl cannot stream a zip): at most this many rows.
XLSX_MAX_ROWS = 20_000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
        yield comment_line(comment)
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow([csv_cell(row.get(column)) for column in columns])


def comment_line(text: str) -> str:
    """`text` as one comment line of a CSV download: `# ` and the text on one line. Readers
    skip it (it starts with `#`); a spreadsheet that opens the file splits it at commas into
    cells, so where a comma or semicolon would start a cell with a formula character or a quote
    (`, =1+1`, `,"=1+1"`), that cell is prefixed with `'` like any data cell. Plain text is
    left as it is, so a citation reads and copies unchanged."""
    text = COMMENT_CONTROL.sub(" ", text)
    return "# " + COMMENT_CELL_START.sub(r"\1'", text) + "\r\n"


def csv_cell(value: object) -> object:
    """One cell: empty for a missing value, else `neutralise(flatten(value))`; plain text,
    most cells of a download, takes the short way (this runs once per cell of 100,000 rows)."""
    if value is None:
        return ""
    if value.__class__ is str:
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    return neutralise(flatten(value))


def quoted_cell(value: str | None) -> str:
    """A text cell exactly as `csv_lines()` writes it (QUOTE_NONNUMERIC, inner quotes doubled,
    formula-like text neutralised, a missing value empty): for fast writers of whole lines."""
    if not value:
        return '""'
    if value.startswith(FORMULA_PREFIXES):
        value = "'" + value
    return '"' + value.replace('"', '""') + '"'


def in_blocks(lines: Iterable[str], size: int = 64 * 1024) -> Iterator[bytes]:
    """`lines` encoded and joined into blocks of about `size` characters, so a server writes
    a download in a few hundred writes rather than one per row."""
    block, length = [], 0
    for line in lines:
        block.append(line)
        length += len(line)
        if length >= size:
            yield "".join(block).encode("utf-8")
            block, length = [], 0
    if block:
        yield "".join(block).encode("utf-8")


def csv_response(
    rows: Iterable[dict],
    *,
    columns: list[str],
    comments: list[str],
    filename: str,
    status: int = 200,
    lines: Iterable[str] = (),
) -> StreamingHttpResponse:
    """Stream `rows` as an attributed CSV download named `<filename>.csv`. `lines`: more rows,
    already written as `csv_lines()` would write them (a fast writer's text, any number of
    whole lines a piece), streamed after `rows`."""
    response = StreamingHttpResponse(
        in_blocks(itertools.chain(csv_lines(rows, columns, comments), lines)),
        content_type="text/csv; charset=utf-8",
        status=status,
    )
    response["Content-Disposition"] = f'attachment; filename="citynet-{filename}.csv"'
    return response


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


def xlsx_value(value: object) -> object:
    """One spreadsheet cell: lists joined as in CSV, formulas neutralised like CSV cells, and
    the control characters XLSX cannot hold dropped. Numbers stay numbers."""
    value = neutralise(flatten(value))
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def xlsx_response(
    rows: Iterable[dict], *, columns: list[str], comments: list[str], filename: str, sheet: str = "data"
) -> HttpResponse:
    """`rows` as an XLSX workbook named `citynet-<filename>.xlsx`: the sheet `sheet` holds a
    header row and the rows (nothing else, so it reads straight into a data frame); the
    sheet "about" holds the `comments` (what it is, attribution, citation), one per row.
    Callers cap the rows at XLSX_MAX_ROWS."""
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet(sheet)
    data.append(columns)
    for row in rows:
        data.append([xlsx_value(row.get(column)) for column in columns])
    about = workbook.create_sheet("about")
    for comment in comments:
        about.append([xlsx_value(comment)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="citynet-{filename}.xlsx"'
    return response
