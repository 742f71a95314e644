"""Which place each row of a member list names, for the membership import: countries read
as files write them, places reconciled (cities.reconcile), new places placed, and one
line a row saying what was decided, for the preview and the command line's report."""

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace

from django.db.models import Count

from cities.countries import country_code
from cities.models import City
from cities.models import CityKind
from cities.names import fold
from cities.reconcile import LOOKUP_CHUNK
from cities.reconcile import PlaceQuery
from cities.reconcile import Reconciler
from cities.reconcile import Reconciliation
from cities.reconcile import Status
from cities.reconcile import place_values
from cities.reconcile import several_places
from citynet.importing import RowReader
from networks.models import Membership

# The columns of the identity preview and of `load_memberships --report`, in order.
REPORT_COLUMNS = [
    "row",
    "network",
    "name",
    "country",
    "kind",
    "identity",
    "place",
    "geonames_id",
    "candidates",
    "note",
    "problems",
]


def read_country(reader: RowReader) -> None:
    """The row's country as an alpha-2 code, whatever the file wrote (NOR, Norway, UK)."""
    written = reader.text("country_iso2")
    try:
        code, note = country_code(written)
    except ValueError as error:
        reader.problem("country_iso2", str(error))
        # Something read_place takes for a code: the row is invalid already.
        reader.values["country_iso2"] = "ZZ"
        return
    reader.values["country_iso2"] = code
    if note:
        reader.values["country_note"] = note


def query_for(place: dict, kind_given: bool) -> PlaceQuery:
    return PlaceQuery(
        name=place["name"],
        country=place["country"],
        kind=place.get("kind", "") if kind_given else "",
        geonames_id=place.get("geonames_id"),
        wikidata_id=place.get("wikidata_id") or "",
    )


def new_place_key(query: PlaceQuery, answer: Reconciliation | None = None) -> tuple:
    """One new place however many rows (and spellings) of a file name it: by the GeoNames
    place that is clearly it ('Helsingor' and 'Helsingør'), else by folded name."""
    if answer is not None and answer.geonames is not None and query.kind in ("", CityKind.CITY):
        return ("new-geonames", answer.geonames.geonameid)
    return ("new", fold(query.name), query.country, query.kind or CityKind.CITY)


def new_place(place: dict, answer: Reconciliation) -> City:
    """A place Citynet lacks, with what the file gives and, where it gives no point,
    what GeoNames clearly knows (coordinates, population marked indicative, its id)."""
    values = {name: value for name, value in place.items() if value not in (None, "")}
    from_geonames = place_values(PlaceQuery(place["name"], place["country"]), answer)
    if answer.geonames is not None and not values.get("geonames_id"):
        # One GeoNames place is clearly it: its point, population and id, all from one source.
        values.update(from_geonames)
    elif values.get("latitude") is None:
        for name, value in from_geonames.items():
            values.setdefault(name, value)
    if several_places(place["name"]) and "kind" not in place:
        # 'Accettura, Cirigliano, ...' decided to be one member: a grouping of cities.
        values["kind"] = CityKind.GROUPING
    return City(**values)


def placed_from_file(answer: Reconciliation, place: dict) -> Reconciliation:
    """A new place GeoNames cannot place, but whose row gives its point: placed from the file."""
    if answer.status != Status.NEW_UNPLACED or place.get("latitude") is None or place.get("longitude") is None:
        return answer
    note = "coordinates from the file" + (f" ({answer.note})" if answer.note else "")
    return replace(answer, status=Status.NEW_FROM_FILE, note=note)


def count_memberships(cities: Iterable[City]) -> None:
    """Set `n_memberships` (membership spells held) on each place: what a doubtful row's
    candidates show, so an editor sees which of two namesakes the lists already use."""
    by_pk = {city.pk: city for city in cities}
    counts = {}
    pks = sorted(by_pk)
    for start in range(0, len(pks), LOOKUP_CHUNK):
        chunk = pks[start : start + LOOKUP_CHUNK]
        counts.update(Membership.objects.filter(city__in=chunk).values_list("city").annotate(n=Count("pk")).order_by())
    for pk, city in by_pk.items():
        city.n_memberships = counts.get(pk, 0)


@dataclass
class IdentityLog:
    """What the import decided about each row's place; counts for the summary."""

    rows: list[dict] = field(default_factory=list)

    def add(self, *, row: int, network: str, place: dict, answer: Reconciliation | None, problems: dict) -> None:
        candidates = []
        for candidate in answer.candidates if answer else []:
            if candidate.city is not None:
                city = candidate.city
                ids = ", ".join(
                    part
                    for part in (
                        f"GeoNames {city.geonames_id}" if city.geonames_id else "",
                        city.wikidata_id or "",
                        f"{city.n_memberships} membership{'s' if city.n_memberships != 1 else ''}"
                        if hasattr(city, "n_memberships")
                        else "",
                    )
                    if part
                )
                candidates.append(f"{city.name} ({city.country}, {city.kind}; {ids}) [{city.slug}]: {candidate.reason}")
            else:
                candidates.append(f"GeoNames: {candidate.geonames.label}")
        # A doubtful place not yet decided stops a real import; the row stays doubtful, not invalid.
        undecided = (
            set(problems) == {"city"}
            and answer is not None
            and answer.status == Status.DOUBTFUL
            and all(message.startswith("doubtful place") for message in problems["city"])
        )
        status = Status.INVALID if problems and not undecided else (answer.status if answer else Status.INVALID)
        self.rows.append(
            {
                "row": row,
                "network": network,
                "name": place.get("name", ""),
                "country": place.get("country", ""),
                "kind": place.get("kind", ""),
                "identity": Status(status).label if status == Status.INVALID else answer.label,
                "status": status,
                "place": answer.city.slug if answer and answer.city else "",
                "geonames_id": (answer.geonames.geonameid if answer and answer.geonames else "")
                or (answer.city.geonames_id if answer and answer.city and answer.city.geonames_id else ""),
                "candidates": " | ".join(candidates),
                "note": answer.note if answer else "",
                "problems": "; ".join(f"{column}: {' '.join(messages)}" for column, messages in problems.items()),
                "decision_key": answer and query_key_text(place),
                "choices": [candidate.city for candidate in (answer.candidates if answer else []) if candidate.city],
            }
        )

    def counts(self) -> dict[str, int]:
        counts = {status: 0 for status in Status.values}
        for row in self.rows:
            counts[row["status"]] += 1
        return counts

    def doubtful(self) -> list[dict]:
        return [row for row in self.rows if row["status"] == Status.DOUBTFUL and not row["problems"]]


def query_key_text(place: dict) -> str:
    """The decision key of a row as one form field value: 'folded name|CC|kind'."""
    return "|".join(PlaceQuery(place["name"], place["country"], place.get("kind_given", "")).decision_key)


__all__ = [
    "Reconciler",
    "REPORT_COLUMNS",
    "IdentityLog",
    "count_memberships",
    "read_country",
    "query_for",
    "new_place",
    "new_place_key",
    "placed_from_file",
]
