"""Load a network's member list from CSV: one row a member place, with its source.

The format is the one of the lists in fixtures/memberships/ (see the README there):
required columns `city`, `country_iso2`, `source`; optional `geonameid`, `latitude`,
`longitude`, `population`, `geonames_name`, `match_note`, `kind`, `membership_type`,
`round`, `year_selected`, `joined`, `left`, `wikidata_id`. Loading is atomic (a file
with any bad row writes nothing and every bad row is reported) and idempotent (a
second run changes nothing).
"""

import csv
import datetime
import io
import re
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from cities.models import City
from networks.dates import DatePrecision
from networks.dates import parse_partial_date
from networks.dates import period_end
from networks.models import Membership
from networks.models import Network
from networks.models import Source

REQUIRED_COLUMNS = {"city", "country_iso2", "source"}
AMENDABLE_FIELDS = {"kind", "took_effect", "left", "note"}
URL_PATTERN = re.compile(r"https?://\S+")
TYPE_WORDS = {
    "full": Membership.Type.FULL,
    "associate": Membership.Type.ASSOCIATE,
    "partner": Membership.Type.PARTNER,
    "observer": Membership.Type.OBSERVER,
}


class MemberListError(Exception):
    """The file cannot be loaded; `problems` lists every bad row as (row, column, message)."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"row {row}, {column}: {message}" for row, column, message in problems))


@dataclass
class LoadReport:
    network: str
    rows: int = 0
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        parts = []
        for model in ("city", "source", "membership"):
            parts.append(
                f"{model}: {self.created[model]} new, {self.updated[model]} changed, {self.unchanged[model]} unchanged"
            )
        return f"{self.network}: {self.rows} rows; " + "; ".join(parts)


def read_amendments(path: Path | None) -> dict[tuple[str, str, str], dict[str, tuple[str, str]]]:
    """Amendments keyed by (network slug or '', city name, country) -> {field: (value, reason)}."""
    if path is None or not path.exists():
        return {}
    amendments: dict[tuple[str, str, str], dict[str, str]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["field"] not in AMENDABLE_FIELDS:
                raise MemberListError([(0, "field", f"{path.name}: cannot amend '{row['field']}'")])
            key = (row["network"].strip(), row["city"].strip(), row["country_iso2"].strip().upper())
            amendments.setdefault(key, {})[row["field"]] = (row["value"].strip(), row["reason"].strip())
    return amendments


def _number(row: dict, column: str, cast, problems: list, line: int):
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        return cast(text)
    except ValueError:
        problems.append((line, column, f"'{text}' is not a number"))
        return None


def _parse_row(row: dict, line: int, network: Network, amendments: dict) -> tuple[dict, list]:
    """Turn one CSV row into plain values for a city and a membership, collecting problems."""
    problems: list[tuple[int, str, str]] = []
    name = (row.get("city") or "").strip()
    country = (row.get("country_iso2") or "").strip().upper()
    source = (row.get("source") or "").strip()
    if not name:
        problems.append((line, "city", "the member's name is empty"))
    if not re.fullmatch(r"[A-Z]{2}", country):
        problems.append((line, "country_iso2", f"'{row.get('country_iso2', '')}' is not a two-letter code"))
    if not source:
        problems.append((line, "source", "every membership needs its source"))
    amended_with_reasons = {
        **amendments.get(("", name, country), {}),
        **amendments.get((network.slug, name, country), {}),
    }
    amended = {name: value for name, (value, _) in amended_with_reasons.items()}
    membership_reasons = sorted(
        {reason for name, (_, reason) in amended_with_reasons.items() if name != "kind" and reason}
    )

    kind = (row.get("kind") or amended.get("kind") or City.Kind.CITY).strip()
    if kind not in City.Kind.values:
        problems.append((line, "kind", f"'{kind}' is not one of {', '.join(City.Kind.values)}"))
    latitude = _number(row, "latitude", float, problems, line)
    longitude = _number(row, "longitude", float, problems, line)
    if (latitude is None) != (longitude is None):
        problems.append((line, "latitude", "give both latitude and longitude, or neither"))
    city = {
        "name": name,
        "country": country,
        "kind": kind,
        "geonames_id": _number(row, "geonameid", int, problems, line),
        "latitude": latitude,
        "longitude": longitude,
        "population": _number(row, "population", int, problems, line),
        "geonames_name": (row.get("geonames_name") or "").strip(),
        "geonames_note": (row.get("match_note") or "").strip(),
        "wikidata_id": (row.get("wikidata_id") or "").strip(),
    }
    if city["population"] is not None:
        city["population_source"] = "GeoNames (populated place; indicative)"

    type_text = (row.get("membership_type") or "").strip().lower()
    membership = {
        # "Full member" -> full; "member (type not given by source)" -> unknown.
        "type": next((value for word, value in TYPE_WORDS.items() if word in type_text), Membership.Type.UNKNOWN),
        "application_round": _number(row, "round", int, problems, line),
        "took_effect": amended.get("took_effect", "true").lower() != "false",
        "note": amended.get("note") or "; ".join(membership_reasons),
    }
    for column, end in (("joined", False), ("left", True)):
        text = (row.get(column) or amended.get(column) or "").strip()
        if column == "joined" and not text:
            text = (row.get("year_selected") or "").strip()
        value, precision = None, DatePrecision.DAY
        if text:
            try:
                value, precision = parse_partial_date(text, end=end)
            except ValueError as error:
                problems.append((line, column, str(error)))
        membership[column], membership[f"{column}_precision"] = value, precision
    if membership["left"] is None and network.ended:
        # The network itself ended: every spell ends with it at the latest.
        membership["left"], membership["left_precision"] = period_end(network.ended), DatePrecision.YEAR
        membership["note"] = membership["note"] or f"Ends with the network ({network.ended})."
    if membership["joined"] and membership["left"] and membership["left"] < membership["joined"]:
        problems.append((line, "left", "the membership would end before it starts"))
    kind_given = bool((row.get("kind") or "").strip() or amended.get("kind"))
    return {"city": city, "membership": membership, "source": source, "kind_given": kind_given}, problems


def _unique_slug(name: str, country: str, taken: set[str]) -> str:
    base = slugify(name) or "place"
    for candidate in (base, f"{base}-{country.lower()}"):
        if candidate not in taken:
            return candidate
    number = 2
    while f"{base}-{country.lower()}-{number}" in taken:
        number += 1
    return f"{base}-{country.lower()}-{number}"


def _find_city(values: dict) -> City | None:
    """The place a row names: by name, country and kind; else by name and country when only
    one place has them (it may have been entered with another kind); else, for a plain
    city, by GeoNames id (one London, however a list spells it)."""
    same_name = City.objects.filter(name=values["name"], country=values["country"])
    found = same_name.filter(kind=values["kind"]).first()
    if found is None:
        candidates = list(same_name[:2])
        found = candidates[0] if len(candidates) == 1 else None
    if found is None and values["geonames_id"] and values["kind"] == City.Kind.CITY:
        found = City.objects.filter(kind=City.Kind.CITY, geonames_id=values["geonames_id"]).first()
    return found


def _upsert(instance, values: dict, report: LoadReport, label: str, *, fill_only: bool = False, always=()):
    """Save `values` onto `instance` only if something differs; count what happened. With
    `fill_only`, only empty fields are written, except those named in `always`."""
    changed = False
    for name, value in values.items():
        current = getattr(instance, name)
        if fill_only and current not in (None, "") and name not in always:
            continue
        if current != value:
            setattr(instance, name, value)
            changed = True
    if instance.pk is None:
        instance.full_clean()
        instance.save()
        report.created[label] += 1
    elif changed:
        instance.full_clean()
        instance.save()
        report.updated[label] += 1
    else:
        report.unchanged[label] += 1
    return instance


def _source_for(citation: str, report: LoadReport) -> Source:
    source = Source.objects.filter(citation=citation).first()
    if source:
        report.unchanged["source"] += 1
        return source
    url = URL_PATTERN.search(citation)
    label = citation.split(" - ")[0].split(";")[0].strip()[:200]
    values = {"kind": Source.Kind.DATASET, "citation": citation, "label": label}
    if url:
        values["url"] = url.group(0).rstrip(".,;)")[:500]
    return _upsert(Source(), values, report, "source")


@transaction.atomic
def memberlist_load(
    *,
    path: Path,
    network_slug: str,
    listed_on: datetime.date | None = None,
    amendments_path: Path | None = None,
    dry_run: bool = False,
) -> LoadReport:
    """Load one member list into `network_slug`; raise MemberListError listing every bad row.

    Returns a LoadReport with counts of created/updated/unchanged cities, sources and
    memberships. With `dry_run` nothing is written (the transaction is rolled back).
    """
    network = Network.objects.filter(slug=network_slug).first()
    if network is None:
        raise MemberListError([(0, "network", f"no network with slug '{network_slug}' (load it first)")])
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MemberListError(
            [(0, "file", f"{path.name} is not UTF-8 ({error.reason} at byte {error.start})")]
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
    if missing:
        raise MemberListError([(1, "header", f"missing column(s): {', '.join(sorted(missing))}")])

    amendments = read_amendments(amendments_path)
    parsed, problems, seen = [], [], {}
    for line, row in enumerate(reader, start=2):
        values, row_problems = _parse_row(row, line, network, amendments)
        key = (values["city"]["name"], values["city"]["country"], values["membership"]["joined"])
        if key in seen:
            row_problems.append((line, "city", f"duplicate of row {seen[key]}"))
        seen[key] = line
        problems += row_problems
        parsed.append((line, values))
    if problems:
        raise MemberListError(problems)

    report = LoadReport(network=network.slug, rows=len(parsed))
    taken_slugs = set(City.objects.values_list("slug", flat=True))
    for line, values in parsed:
        try:
            city = _find_city(values["city"])
            if city is None:
                slug = _unique_slug(values["city"]["name"], values["city"]["country"], taken_slugs)
                taken_slugs.add(slug)
                city = City(slug=slug)
            # Existing places keep what an editor set; the list only fills gaps, except a kind
            # the file states outright (a `kind` column or an amendment).
            always = ("kind",) if values["kind_given"] else ()
            _upsert(city, values["city"], report, "city", fill_only=city.pk is not None, always=always)
            source = _source_for(values["source"], report)
            membership_values = {**values["membership"], "source_id": source.pk, "listed_on": listed_on}
            membership = Membership.objects.filter(
                city=city, network=network, joined=membership_values["joined"]
            ).first() or Membership(city=city, network=network)
            _upsert(membership, membership_values, report, "membership")
        except ValidationError as error:
            details = error.message_dict if hasattr(error, "error_dict") else {"row": error.messages}
            problems += [(line, column, " ".join(messages)) for column, messages in details.items()]
    if problems:
        raise MemberListError(problems)
    if dry_run:
        transaction.set_rollback(True)
    return report
