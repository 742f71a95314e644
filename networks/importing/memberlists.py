"""Load a network's member list from a file: the command line's front to the membership
import (networks.importing.resources.memberships), so that the admin and the command line
match places the same way, check the same things, say the same and write the same.

Two shapes of file: one row a membership spell (the lists in fixtures/memberships/, see
the README there), or one row a place naming many networks (a delimited list column or
one 0/1 column a label, as ClimActor), mapped to networks by the editor's label mapping
(networks.importing.labels). Loading is atomic (a file with any bad row writes nothing
and every bad row is reported, in one pass) and idempotent (a second run changes nothing).
"""

import csv
import datetime
import io
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import tablib
from django.db import transaction
from tablib import InvalidDimensions

from cities.models import PlaceDecision
from cities.reconcile import PlaceQuery
from citynet.importing import ImportFileError
from networks.importing.files import FileReadError
from networks.importing.files import read_csv
from networks.importing.identity import REPORT_COLUMNS
from networks.importing.labels import LABEL_COLUMNS
from networks.importing.labels import MappingError
from networks.importing.labels import read_mapping
from networks.importing.resources.memberships import LabelMappingError
from networks.importing.resources.memberships import MembershipResource
from networks.models import Network

AMENDABLE_FIELDS = {"kind", "took_effect", "left", "note"}


class MemberListError(Exception):
    """The file cannot be loaded; `problems` lists every bad row as (row, column, message)."""

    def __init__(self, problems: list[tuple[int, str, str]], report: "LoadReport | None" = None):
        self.problems = problems
        self.report = report
        super().__init__("\n".join(f"row {row}, {column}: {message}" for row, column, message in problems))


@dataclass
class LoadReport:
    network: str
    rows: int = 0
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    identities: list[dict] = field(default_factory=list)
    identity_counts: dict = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)

    def summary(self) -> str:
        spells = (
            f"membership: {self.created['membership']} new, {self.updated['membership']} changed, "
            f"{self.unchanged['membership']} unchanged"
        )
        places = ", ".join(f"{count} {status}" for status, count in self.identity_counts.items() if count)
        return (
            f"{self.network}: {self.rows} rows; {spells}; places created: {self.created['city']}; "
            f"sources created: {self.created['source']}; place identity: {places or 'none'}"
        )


def read_amendments(path: Path | None) -> dict[tuple[str, str, str], dict[str, tuple[str, str]]]:
    """Amendments keyed by (network slug or '', city name, country) -> {field: (value, reason)}."""
    if path is None or not path.exists():
        return {}
    amendments: dict[tuple[str, str, str], dict[str, tuple[str, str]]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["field"] not in AMENDABLE_FIELDS:
                raise MemberListError([(0, "field", f"{path.name}: cannot amend '{row['field']}'")])
            key = (row["network"].strip(), row["city"].strip(), row["country_iso2"].strip().upper())
            amendments.setdefault(key, {})[row["field"]] = (row["value"].strip(), row["reason"].strip())
    return amendments


def amend(dataset: tablib.Dataset, network: str, amendments: dict) -> tablib.Dataset:
    """The file with its amendments as columns: kind, took_effect, left, note (with the reason)."""
    headers = list(dataset.headers)
    extra = [name for name in ("kind", "took_effect", "left", "note") if name not in headers]
    amended = tablib.Dataset(headers=headers + extra)
    for values in dataset:
        row = dict(zip(headers, values, strict=False))
        key = (row.get("city", ""), row.get("country_iso2", "").upper())
        changes = {**amendments.get(("", *key), {}), **amendments.get((network, *key), {})}
        for name, (value, _) in changes.items():
            if name != "note" and not row.get(name):
                row[name] = value
        row["took_effect"] = row.get("took_effect") or "true"
        reasons = sorted({reason for name, (_, reason) in changes.items() if name != "kind" and reason})
        if not row.get("note"):
            row["note"] = changes.get("note", ("",))[0] or "; ".join(reasons)
        amended.append([row.get(name, "") for name in headers + extra])
    return amended


def read_decisions(path: Path, user: str = "command line") -> int:
    """Store an editor's decisions (`name,country,kind,decision` with decision a place's
    slug or `new`); returns how many. They are remembered for every later import."""
    from cities.models import City

    text = path.read_bytes().decode("utf-8-sig")
    stored, problems = 0, []
    for line, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=2):
        decision = (row.get("decision") or "").strip()
        if not decision:
            continue
        key = PlaceQuery(row["name"], (row.get("country") or "").upper(), (row.get("kind") or "").strip())
        city = None
        if decision.lower() != "new":
            city = City.objects.filter(slug=decision).first()
            if city is None:
                problems.append((line, "decision", f"no place with slug '{decision}'"))
                continue
        folded, country, kind = key.decision_key
        PlaceDecision.objects.update_or_create(
            key=folded, country=country, kind=kind, defaults={"city": city, "decided_by": user}
        )
        stored += 1
    if problems:
        raise MemberListError(problems)
    return stored


def write_report(path: Path, rows: list[dict], labels: list[dict] | None = None) -> Path | None:
    """Each row's place identity to `path`; with a file of many networks, the rows per
    label beside it (`<name>.labels.csv`, the preview's label table). Returns that path."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    if not labels:
        return None
    labels_path = path.with_name(f"{path.stem}.labels.csv")
    with labels_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=LABEL_COLUMNS)
        writer.writeheader()
        writer.writerows(labels)
    return labels_path


def label_lines(rows: list[dict]) -> list[str]:
    """The rows per label as the command line prints them."""
    width = min(max((len(row["label"]) for row in rows), default=0), 40)
    return [f"  {row['label']:<{width}}  {row['rows']:>7,} rows -> {row['imported_as']}" for row in rows]


@transaction.atomic
def memberlist_load(
    *,
    path: Path,
    network_slug: str | None = None,
    listed_on: datetime.date | None = None,
    amendments_path: Path | None = None,
    dry_run: bool = False,
    encoding: str | None = None,
    mapping_path: Path | None = None,
    list_column: str | None = None,
    source: str = "",
    on_labels=None,
) -> LoadReport:
    """Load one member list; raise MemberListError listing every bad row (nothing written).

    With `mapping_path` the file is one row a place naming many networks (`list_column`
    names the column listing them; without it every column that is not a place column
    is a 0/1 label column); `on_labels` is called with the rows per label (labels.label_rows)
    before anything is written. Returns a LoadReport: spells new/changed/unchanged, places
    and sources created, each row's place identity. With `dry_run` nothing is written.
    """
    network = None
    if network_slug:
        network = Network.objects.filter(slug=network_slug).first()
        if network is None:
            raise MemberListError([(0, "network", f"no network with slug '{network_slug}' (load it first)")])
    try:
        dataset, notices = read_csv(path.read_bytes(), encoding)
    except (FileReadError, InvalidDimensions, UnicodeDecodeError) as error:
        raise MemberListError([(0, "file", f"{path.name}: {error}")]) from None
    mapping = None
    if mapping_path is not None:
        try:
            mapping = read_mapping(mapping_path.read_bytes())
        except MappingError as error:
            raise MemberListError([(0, "mapping", problem) for problem in error.problems]) from None
    elif listed_on is not None and "listed_on" not in dataset.headers:
        dataset.append_col([listed_on.isoformat()] * dataset.height, header="listed_on")
    amendments = read_amendments(amendments_path)
    if amendments and network is not None:
        dataset = amend(dataset, network.slug, amendments)

    resource = MembershipResource(
        network=network, mapping=mapping, list_column=list_column, source=source, on_labels=on_labels
    )
    try:
        result = resource.import_data(dataset, dry_run=dry_run, raise_errors=False, file_name=path.name)
    except ImportFileError as error:
        raise MemberListError([(1, "header", str(error))]) from None
    report = LoadReport(
        network=network.slug if network else "(networks of the file)",
        rows=dataset.height,
        identities=resource.identities.rows,
        identity_counts=resource.identities.counts(),
        notices=notices + resource.notices,
        labels=resource.label_rows,
    )
    if result.base_errors:
        problems = []
        for error in result.base_errors:
            if isinstance(error.error, LabelMappingError):
                problems += [(0, "mapping", problem) for problem in error.error.problems]
            else:
                problems.append((1, "header", str(error.error)))
        raise MemberListError(problems, report)
    problems = [
        (number + 1, "row", f"{type(error.error).__name__}: {error.error}")
        for number, errors in result.row_errors()
        for error in errors
    ]
    for row in result.invalid_rows:
        number = row.number + 1
        if "source_row" in dataset.headers:
            number = int(dataset[row.number - 1][dataset.headers.index("source_row")] or number)
        for column, messages in row.error_dict.items():
            problems += [(number, column, message) for message in messages]
    if problems:
        raise MemberListError(problems, report)
    report.created.update(
        membership=result.totals["new"], city=resource.places_created, source=resource.sources_created
    )
    report.updated["membership"] = result.totals["update"]
    report.unchanged["membership"] = result.totals["skip"]
    if dry_run:
        transaction.set_rollback(True)
    return report
