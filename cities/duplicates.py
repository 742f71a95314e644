"""Likely duplicates among the places held: the report an editor reads before merging.

Four reasons, each a group of two or more places:
- the same GeoNames id, among places of one kind (a body that is not one city may
  borrow its seat city's id, so a city and its metropolitan body sharing one is expected);
- the same Wikidata id (one item, one place, whatever the kinds);
- the same folded name (`cities.names.fold`: 'Düsseldorf', 'City of Dusseldorf') in one
  country, among places of one kind;
- within `radius_km` of each other, of one kind, with names that fold alike enough
  (rapidfuzz's token set ratio; 'Frankfurt' and 'Frankfurt am Main').

Places are grouped by keys and, for distance, put in cells of a tenth of a degree and
compared with the places of the cells around only; 10,000 places take well under a second.
A pair that shares a key is not listed again as close.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz import process

from cities.models import City
from cities.names import fold

SAME_GEONAMES = "same GeoNames id"
SAME_WIKIDATA = "same Wikidata id"
SAME_NAME = "same name and country"
CLOSE = "close together, similar names"
REASONS = [SAME_GEONAMES, SAME_WIKIDATA, SAME_NAME, CLOSE]

RADIUS_KM = 10.0
SIMILARITY = 90  # rapidfuzz token_set_ratio of the folded names, 0-100
CELL_DEGREES = 0.1  # about 11 km of latitude: a place's neighbours are in the cells around it
COLUMNS = round(360 / CELL_DEGREES)
EARTH_RADIUS_KM = 6371.0
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
# What the report reads of each place.
FIELDS = ["id", "name", "slug", "country", "kind", "latitude", "longitude", "geonames_id", "wikidata_id"]


@dataclass(frozen=True)
class DuplicateGroup:
    """Places that are likely one place, and why: `reason` (one of REASONS) and `key`
    (what they share: 'GeoNames 2934246', 'dusseldorf, DE', 'within 3.2 km')."""

    reason: str
    key: str
    places: tuple[City, ...]

    @property
    def pairs(self) -> list[tuple[City, City]]:
        """Each place after the first with the first (the merge links of the admin page)."""
        return [(self.places[0], place) for place in self.places[1:]]


def likely_duplicates(
    places: Iterable[City] | None = None, *, radius_km: float = RADIUS_KM, similarity: int = SIMILARITY
) -> list[DuplicateGroup]:
    """Groups of likely duplicates among `places` (default: every place), by reason in the
    order of REASONS, then by the first place's name; each group's places by id."""
    places = list(City.objects.only(*FIELDS).order_by("pk") if places is None else places)
    names = {place.pk: fold(place.name) for place in places}
    keys = {
        SAME_GEONAMES: lambda p: (p.geonames_id, p.kind) if p.geonames_id else None,
        SAME_WIKIDATA: lambda p: p.wikidata_id or None,
        SAME_NAME: lambda p: (names[p.pk], p.country, p.kind) if names[p.pk] else None,
    }
    groups: list[DuplicateGroup] = []
    shared: set[tuple[int, int]] = set()
    for reason, key in keys.items():
        for value, members in grouped(places, key).items():
            groups.append(DuplicateGroup(reason, key_label(reason, value), tuple(members)))
            shared |= {(a.pk, b.pk) for a in members for b in members if a.pk < b.pk}
    pairs = [pair for pair in close_pairs(places, names, radius_km, similarity) if pair[:2] not in shared]
    groups += close_groups(pairs, {place.pk: place for place in places})
    order = {reason: number for number, reason in enumerate(REASONS)}
    return sorted(groups, key=lambda group: (order[group.reason], names[group.places[0].pk], group.places[0].pk))


def grouped(places: list[City], key) -> dict:
    """Places by `key(place)`, only keys of two or more places (None: no key)."""
    by_key = defaultdict(list)
    for place in places:
        if (value := key(place)) is not None:
            by_key[value].append(place)
    return {value: members for value, members in by_key.items() if len(members) > 1}


def key_label(reason: str, value) -> str:
    if reason == SAME_GEONAMES:
        return f"GeoNames {value[0]}"
    if reason == SAME_WIKIDATA:
        return value
    return f"{value[0]}, {value[1]}"


def close_pairs(
    places: list[City], names: dict[int, str], radius_km: float, similarity: int
) -> list[tuple[int, int, float]]:
    """(id, id, km) of places of one kind within `radius_km` whose folded names are similar,
    the lower id first. Each place is compared with the places of the cells around its own."""
    cells: dict[tuple[int, int], list[City]] = defaultdict(list)
    for place in places:
        if place.has_coordinates:
            cells[cell_of(place.latitude, place.longitude)].append(place)
    pairs = []
    rows = math.ceil(radius_km / (CELL_DEGREES * KM_PER_DEGREE))
    for (row, column), members in cells.items():
        # Cells narrow towards the poles: look as many columns either side as the radius spans.
        latitude = min(89.0, abs(row * CELL_DEGREES) + (rows + 1) * CELL_DEGREES)
        span = math.ceil(radius_km / (CELL_DEGREES * KM_PER_DEGREE * math.cos(math.radians(latitude))))
        span = min(span, COLUMNS // 2)
        columns = {(column + step) % COLUMNS for step in range(-span, span + 1)}
        around = [
            place
            for step in range(-rows, rows + 1)
            for other in columns
            for place in cells.get((row + step, other), ())
        ]
        around_names = [names[place.pk] for place in around]
        for place in members:
            # rapidfuzz compares one name with all around it in C; distance is checked on the few alike.
            alike = process.extract(
                names[place.pk], around_names, scorer=fuzz.token_set_ratio, score_cutoff=similarity, limit=None
            )
            for _, _, index in alike:
                other = around[index]
                if other.pk > place.pk and other.kind == place.kind and (km := kilometres(place, other)) <= radius_km:
                    pairs.append((place.pk, other.pk, km))
    return pairs


def close_groups(pairs: list[tuple[int, int, float]], by_pk: dict[int, City]) -> list[DuplicateGroup]:
    """The pairs joined into groups (A near B and B near C: one group)."""
    parent: dict[int, int] = {}
    for a, b, _ in pairs:
        parent[root(parent, a)] = root(parent, b)
    members: dict[int, set[int]] = defaultdict(set)
    farthest: dict[int, float] = defaultdict(float)
    for a, b, km in pairs:
        top = root(parent, a)
        members[top] |= {a, b}
        farthest[top] = max(farthest[top], km)
    return [
        DuplicateGroup(CLOSE, f"within {farthest[top]:.1f} km", tuple(by_pk[pk] for pk in sorted(pks)))
        for top, pks in members.items()
    ]


def cell_of(latitude: float, longitude: float) -> tuple[int, int]:
    return math.floor(latitude / CELL_DEGREES), math.floor((longitude + 180) / CELL_DEGREES) % COLUMNS


def kilometres(a: City, b: City) -> float:
    """Great-circle distance (haversine)."""
    lat_a, lat_b = math.radians(a.latitude), math.radians(b.latitude)
    d_lat, d_lng = lat_b - lat_a, math.radians(b.longitude - a.longitude)
    h = math.sin(d_lat / 2) ** 2 + math.cos(lat_a) * math.cos(lat_b) * math.sin(d_lng / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def root(parent: dict[int, int], pk: int) -> int:
    parent.setdefault(pk, pk)
    while parent[pk] != pk:
        parent[pk] = parent[parent[pk]]
        pk = parent[pk]
    return pk
