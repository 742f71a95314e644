"""What the networks app's import-export resources share: partial dates read from cells (parsing
and writing them is networks/dates.py), sources looked up by citation, rows in chunks."""

from citynet.importing import RowReader
from networks.dates import DatePrecision
from networks.dates import parse_partial_date
from networks.models import Source

LIST_SEPARATOR = ";"


def read_partial_date(reader: RowReader, column: str, *, end: bool, text: str | None = None):
    """(date, precision) from a cell, or (None, day) when it is empty or wrong."""
    text = reader.text(column) if text is None else text
    if not text:
        return None, DatePrecision.DAY
    try:
        return parse_partial_date(text, end=end)
    except ValueError as error:
        message = str(error)
        if not message.startswith("'"):
            # datetime.date's own words, e.g. "day is out of range for month"
            message = f"'{text}' is not a date: {message}"
        reader.problem(column, message)
        return None, DatePrecision.DAY


def chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SourceIndex:
    """Sources by citation (and by label, where a label is used once), loaded once."""

    def __init__(self, citations=None):
        sources = Source.objects.all()
        if citations is not None:
            found = []
            for part in chunks(sorted(citations)):
                found += list(sources.filter(citation__in=part))
            sources = found
        self.by_citation = {source.citation: source for source in sources}
        self.by_label: dict[str, Source | None] = {}
        if citations is None:
            for source in self.by_citation.values():
                if source.label:
                    # A label used twice names no source.
                    self.by_label[source.label] = None if source.label in self.by_label else source

    def find(self, text: str) -> Source | None:
        return self.by_citation.get(text) or self.by_label.get(text)
