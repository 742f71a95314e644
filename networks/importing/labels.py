"""Files naming many networks a row, as the field's data sets come (ClimActor): one row a
place with a delimited list of labels, or one 0/1 column a label.

An editor keeps a label mapping, a small CSV with the columns `label`, `network` (a
Citynet network's slug; empty: the label is not a network to import), `listed_on` (the
snapshot the label stands for: a date, YYYY-MM or a year), and `network_name` (to add
a network Citynet lacks). `C40Cities2022` and `C40Cities2019` both map to c40: a place
with both becomes one spell listed on the latest snapshot, not two.

`expand` turns such a file into a member list of the one-row-a-spell shape (network,
city, country_iso2, ...) that the membership import reads.
"""

import csv
import datetime
import io
import re
from collections import Counter
from dataclasses import dataclass

import tablib
from django.utils.text import slugify

from cities.names import fold
from networks.dates import parse_partial_date
from networks.models import Network

LIST_SEPARATORS = re.compile(r";+|\|")
# The place columns of a wide file, under the names the field's data sets use.
PLACE_COLUMNS = {
    "city": ("city", "name"),
    "country_iso2": ("country_iso2", "iso", "country"),
    "kind": ("kind", "entity_type"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lng", "lon"),
    "geonameid": ("geonameid",),
    "wikidata_id": ("wikidata_id",),
}
KINDS = {"city": "city", "region": "metropolitan", "metropolitan": "metropolitan", "grouping": "grouping"}


@dataclass(frozen=True)
class Label:
    label: str
    network: str
    listed_on: datetime.date | None
    network_name: str = ""


class MappingError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def read_mapping(data: bytes) -> dict[str, Label]:
    """The editor's label mapping, by label; every bad line reported at once."""
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    missing = {"label", "network"} - set(reader.fieldnames or [])
    if missing:
        raise MappingError([f"the mapping lacks the column(s) {', '.join(sorted(missing))}"])
    mapping, problems = {}, []
    for line, row in enumerate(reader, start=2):
        label = (row.get("label") or "").strip()
        listed_text = (row.get("listed_on") or "").strip()
        listed_on = None
        if listed_text:
            try:
                listed_on = parse_partial_date(listed_text, end=True)[0]
            except ValueError as error:
                problems.append(f"mapping line {line}: {error}")
        if label in mapping:
            problems.append(f"mapping line {line}: '{label}' is mapped twice")
        mapping[label] = Label(
            label=label,
            network=(row.get("network") or "").strip(),
            listed_on=listed_on,
            network_name=(row.get("network_name") or "").strip(),
        )
    if problems:
        raise MappingError(problems)
    return mapping


def column(headers: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {header.lower(): header for header in headers}
    return next((lowered[name] for name in names if name in lowered), None)


def labels_of(row: dict, list_column: str | None, label_columns: list[str]) -> list[str]:
    if list_column:
        return [part.strip() for part in LIST_SEPARATORS.split(row.get(list_column) or "") if part.strip()]
    return [label for label in label_columns if (row.get(label) or "").strip().lower() in ("1", "true", "yes", "x")]


def label_counts(dataset: tablib.Dataset, list_column: str | None) -> Counter:
    """Rows per label: what the preview shows before anything is written."""
    headers = list(dataset.headers)
    label_columns = [] if list_column else [header for header in headers if header not in _place_headers(headers)]
    counts = Counter()
    for values in dataset:
        counts.update(set(labels_of(dict(zip(headers, values, strict=False)), list_column, label_columns)))
    return counts


def _place_headers(headers: list[str]) -> set[str]:
    found = {column(headers, names) for names in PLACE_COLUMNS.values()}
    return {header for header in found if header} | {
        header for header in headers if header.lower() in ("population", "source", "note")
    }


def unmapped(counts: Counter, mapping: dict[str, Label]) -> list[str]:
    return sorted(label for label in counts if label not in mapping)


LABEL_COLUMNS = ["label", "imported_as", "network", "listed_on", "rows"]


def label_rows(counts: Counter, mapping: dict[str, Label]) -> list[dict]:
    """Rows per label and what each becomes, for the preview, the command line and the
    report: [{label, imported_as, network, listed_on, rows}], the most frequent first.
    `imported_as` reads 'c40 as of 2022-12-31', 'c40 (no snapshot date)', 'nothing (not
    a network to import)' or 'NOT IN THE MAPPING'."""
    rows = []
    for text, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        label = mapping.get(text)
        if label is None:
            imported_as = "NOT IN THE MAPPING"
        elif not label.network:
            imported_as = "nothing (not a network to import)"
        elif label.listed_on:
            imported_as = f"{label.network} as of {label.listed_on.isoformat()}"
        else:
            imported_as = f"{label.network} (no snapshot date)"
        rows.append(
            {
                "label": text,
                "imported_as": imported_as,
                "network": label.network if label else "",
                "listed_on": label.listed_on.isoformat() if label and label.listed_on else "",
                "rows": count,
            }
        )
    return rows


def missing_networks(mapping: dict[str, Label]) -> list[str]:
    """Slugs the mapping names that Citynet lacks (add_networks adds those with a name)."""
    existing = set(Network.objects.values_list("slug", flat=True))
    return sorted({label.network for label in mapping.values() if label.network and label.network not in existing})


def add_networks(mapping: dict[str, Label]) -> list[Network]:
    """Networks the mapping names by slug and name that Citynet lacks, added (the caller's
    transaction decides whether they stay)."""
    existing = set(Network.objects.values_list("slug", flat=True))
    added = []
    for label in mapping.values():
        if label.network and label.network not in existing and label.network_name:
            network = Network(
                name=label.network_name,
                slug=slugify(label.network)[:100],
                scope=Network.Scope.GLOBAL,
                focus=Network.Focus.GENERAL,
            )
            network.full_clean()
            network.save()
            existing.add(network.slug)
            added.append(network)
    return added


def expand(
    dataset: tablib.Dataset, mapping: dict[str, Label], *, list_column: str | None, source: str
) -> tablib.Dataset:
    """One row a place and network: labels of one network merge into one spell, listed
    on the latest snapshot, its note naming the labels. Labels mapped to nothing drop out."""
    headers = list(dataset.headers)
    label_columns = [] if list_column else [header for header in headers if header not in _place_headers(headers)]
    place_columns = {target: column(headers, names) for target, names in PLACE_COLUMNS.items()}
    out_headers = ["network", *[target for target, found in place_columns.items() if found]]
    out_headers += ["listed_on", "source", "note", "source_row"]
    expanded = tablib.Dataset(headers=out_headers)
    # Rows naming one place (however spelled) merge: one spell a place and network.
    places: dict[tuple, tuple[int, dict, dict[str, list[Label]]]] = {}
    for number, values in enumerate(dataset, start=2):
        row = dict(zip(headers, values, strict=False))
        place = {target: (row.get(found) or "") for target, found in place_columns.items() if found}
        if "kind" in place:
            place["kind"] = KINDS.get(place["kind"].strip().lower(), place["kind"])
        key = (fold(place.get("city", "")), place.get("country_iso2", "").upper(), place.get("kind", ""))
        first_number, place, by_network = places.setdefault(key, (number, place, {}))
        for text in labels_of(row, list_column, label_columns):
            label = mapping.get(text)
            if label is not None and label.network and label not in by_network.get(label.network, []):
                by_network.setdefault(label.network, []).append(label)
    for number, place, by_network in places.values():
        for network, labels in by_network.items():
            dates = [label.listed_on for label in labels if label.listed_on]
            names = sorted({label.label for label in labels})
            note = f"Listed as {', '.join(names)}."
            expanded.append(
                [
                    network,
                    *place.values(),
                    max(dates).isoformat() if dates else "",
                    source,
                    note,
                    number,
                ]
            )
    return expanded
