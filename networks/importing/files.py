"""Files as they come: bytes in any common encoding to a table of text cells, with `NA`,
`NaN` and empty cells all meaning missing, and notices saying what was read how."""

import csv
import io

import tablib
from charset_normalizer import from_bytes
from import_export.formats.base_formats import CSV
from tablib import InvalidDimensions

# Cells that mean "no value" in files from R, pandas and spreadsheets.
MISSING = {"na", "nan", "n/a", "#n/a", "null", "none"}


class FileReadError(Exception):
    """The file cannot be read as a table at all."""


def decode(data: bytes, encoding: str | None = None) -> tuple[str, list[str]]:
    """The file's text and notices. A named `encoding` is used as it is; otherwise UTF-8,
    and for a file that is not, each line that is not UTF-8 is read as Windows-1252
    (a superset of Latin-1), so a file mixing the two, as ClimActor's does, reads whole."""
    if b"\x00" in data[:100_000] and not (encoding or "").lower().startswith("utf-16"):
        # Text files have no NUL bytes: this is a binary file (or UTF-16, which must be named).
        position = data.index(b"\x00")
        raise UnicodeDecodeError("utf-8", data, position, position + 1, "a NUL byte: not a text file")
    if encoding:
        try:
            return data.decode(encoding), [f"Read as {encoding}, as asked."]
        except (LookupError, UnicodeDecodeError) as error:
            raise FileReadError(f"The file cannot be read as {encoding}: {error}") from None
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    guess = from_bytes(data[:200_000]).best()
    lines, fallback = [], 0
    for line in data.removeprefix(b"\xef\xbb\xbf").split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            fallback += 1
            lines.append(line.decode("cp1252", errors="replace"))
    guessed = f" (charset-normalizer guesses {guess.encoding} for the whole file)" if guess else ""
    notice = (
        f"The file is not all UTF-8: {fallback} line(s) were read as Windows-1252/Latin-1{guessed}. "
        "Check the names in the preview, or name the encoding (--encoding on the command line)."
    )
    return "\n".join(lines), [notice]


def cell(value: str) -> str:
    text = (value or "").strip()
    return "" if text.lower() in MISSING else text


def read_csv(data: bytes, encoding: str | None = None) -> tuple[tablib.Dataset, list[str]]:
    """A CSV file as a Dataset of stripped text cells (missing values empty) and notices."""
    text, notices = decode(data, encoding)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    rows = [row for row in rows if any(value.strip() for value in row)]
    if not rows:
        raise FileReadError("The file is empty.")
    headers = [value.strip() for value in rows[0]]
    dataset = tablib.Dataset(headers=headers)
    for number, row in enumerate(rows[1:], start=2):
        if len(row) > len(headers):
            raise InvalidDimensions(f"Row {number} has {len(row)} cells but the header names {len(headers)} columns.")
        dataset.append([cell(value) for value in row] + [""] * (len(headers) - len(row)))
    return dataset, notices


def blank_missing(dataset: tablib.Dataset) -> tablib.Dataset:
    """The same table with `NA`, `NaN` and the like as empty cells (for files read elsewhere)."""
    cleaned = tablib.Dataset(headers=dataset.headers)
    for row in dataset:
        cleaned.append([cell(value) if isinstance(value, str) else value for value in row])
    return cleaned


class MemberListCSV(CSV):
    """CSV as the admin's membership import reads it: in any common encoding (see
    `decode`), `NA`/`NaN` as missing; what was read how is in `dataset.notices`."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream):
        data = in_stream if isinstance(in_stream, bytes) else in_stream.encode("utf-8")
        dataset, notices = read_csv(data)
        dataset.notices = notices
        return dataset
