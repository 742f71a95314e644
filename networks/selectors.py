"""Reads shared by the pages and the API: what a city's profile, a city list, the comparison
matrix and every download's attribution are built from.

Pages (`networks.views`, `cities.views`) and the API (`networks.api`) both read through here
and never import each other. The place register (`cities.models`) knows nothing of networks,
so the reads of places by their memberships and codings live here too.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections import defaultdict
from collections.abc import Iterable
from functools import reduce

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db import connections
from django.db.models import Count
from django.db.models import F
from django.db.models import Max
from django.db.models import OuterRef
from django.db.models import Prefetch
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Subquery
from django.db.models import Window
from django.db.models.functions import Coalesce
from django.db.models.functions import RowNumber

from cities.models import City
from cities.models import CityQuerySet
from networks import aggregates
from networks.aggregates.matrix import comparison_matrix_from_values
from networks.aggregates.offers import highest_per_member
from networks.aggregates.offers import offer_and_use_from_highest
from networks.aggregates.shapes import MEMBER_SIDES
from networks.aggregates.shapes import OFFER_CODINGS_SHOWN
from networks.aggregates.shapes import offer_anchor
from networks.models import Code
from networks.models import Coding
from networks.models import EngagementObservation
from networks.models import Evidence
from networks.models import Membership
from networks.models import Network
from networks.models import Participation
from networks.models import Source
from networks.models.codings import SOURCE_VALUES
from networks.research import agreement
from networks.salience import salience_rank
from networks.visibility import Reader

CODING_NOTE = (
    "Codings: salience (0-3; empty where the code applies but was not rated) and outcome are the "
    "named coder's reading of the evidence, which "
    "cites its source; for the study's data that coder is Citynet's seed coding, not the study's authors."
)


# Places, by their part in networks.


def cities_in_network(cities: CityQuerySet, network: Network) -> CityQuerySet:
    """Those of `cities` with a membership spell (of any kind) in `network`."""
    return cities.filter(pk__in=Membership.objects.filter(network=network).values("city"))


def cities_for_list(cities: CityQuerySet | None = None) -> CityQuerySet:
    """`cities` (default: all) for a list page, by name and country; adds `n_memberships`
    (spells in any network)."""
    cities = City.objects.all() if cities is None else cities
    # A subquery per row shown, not a join and GROUP BY over every spell: the page and
    # its count (which Django runs without the unused annotation) stay cheap at any size.
    spells = Membership.objects.filter(city=OuterRef("pk")).order_by().values("city").annotate(n=Count("pk"))
    return cities.annotate(n_memberships=Coalesce(Subquery(spells.values("n")), 0)).order_by("name", "country")


def cities_for_profile() -> CityQuerySet:
    """Places with what a city's profile lists prefetched: `memberships` (with network and
    source), `participations` (with network, sub-network and source) and
    `engagement_observations` (with network, source). Its codings come from
    `city_matrix`."""
    return City.objects.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.for_list()),
        Prefetch(
            "participations",
            queryset=Participation.objects.select_related("network", "subnetwork", "source").order_by(
                "network__name", "subnetwork__name", "unit"
            ),
        ),
        Prefetch(
            "engagement_observations",
            queryset=EngagementObservation.objects.select_related("network", "source").order_by(
                "network__name", "observed_on"
            ),
        ),
    )


def city_matrix(
    city: City, codes: list[Code], reader: Reader = None, evidence_limit: int | None = None
) -> tuple[dict, list[tuple]]:
    """A place's matrix (`comparison_matrix`: a row per network, by name) built from plain
    values (the best-coded place has 1,000 codings), and its codings as (network id, code,
    salience) for `aggregates.city_portfolio`. The evidence is as `reader` may see it, with
    what a page shows when an item is expanded, for the first networks only: whole networks in
    row order while their codings number at most `evidence_limit` together
    (`aggregates.leading_within`, the rule `networks.pages.evidence_shown` applies to the
    page's rows; None: every network). Other networks' cells have no evidence: a page links
    to `city_evidence` for them. Two queries."""
    codings = list(Coding.objects.for_matrix_rows(cities=[city.slug]))
    # Each network's codings, in the matrix's row order (network name, then id).
    per_network = Counter((row[7], row[5]) for row in codings)
    order = sorted(per_network)
    if evidence_limit is not None:
        order = order[: aggregates.leading_within([per_network[key] for key in order], evidence_limit)]
    shown = [network_id for _name, network_id in order]
    evidence = evidence_rows_for_pages(Coding.objects.filter(city=city, network__in=shown), reader) if shown else []
    facts = [(row[5], row[9], row[10]) for row in codings]
    return comparison_matrix_from_values(codings, evidence, codes), facts


def participations_in_network(network: Network, limit: int) -> list[Participation]:
    """Up to `limit` + 1 of the units taking part in `network` or its sub-networks (one more
    than shown tells the page there are more), with city, sub-network and source, by city and
    unit. One query."""
    participations = Participation.objects.filter(network=network).select_related("city", "subnetwork", "source")
    return list(participations.order_by("city__name", "unit", "pk")[: limit + 1])


def coded_cities(network: Network | None = None) -> CityQuerySet:
    """Places whose use of a network (of `network`, if given) has been coded, by name."""
    # A semi-join, not a join and DISTINCT: a large network has 50,000 codings.
    codings = Coding.objects.all() if network is None else Coding.objects.filter(network=network)
    return City.objects.filter(pk__in=codings.values("city")).order_by("name")


# Where the data come from: the attribution lines of pages, downloads and API responses.


def studies_attribution(source_ids: QuerySet | None) -> list[str]:
    """'Study: <citation>' for each study among the given sources or reporting them (interviews)."""
    if source_ids is None:
        return []
    cited = Source.objects.filter(pk__in=source_ids)
    studies = Source.objects.filter(kind=Source.Kind.STUDY).filter(
        Q(pk__in=cited.values("pk")) | Q(pk__in=cited.values("part_of"))
    )
    return [f"Study: {citation}" for citation in studies.order_by("citation").values_list("citation", flat=True)]


def evidence_sources(codings: QuerySet) -> QuerySet:
    return Evidence.objects.filter(coding__in=codings).values("source")


def studies_cited(evidence: QuerySet) -> list[str]:
    """`studies_attribution(evidence.values("source"))`, for evidence of any size: 'Study:
    <citation>' for each study that `evidence` cites, itself or through one of its parts (an
    interview), in citation order. Two small queries: the studies and their parts (a handful of
    sources), then which of those `evidence` cites, found through the index on the evidence's
    source instead of reading every evidence item of a network of 50,000 codings (issue 15)."""
    # Each source that attributes a study: the study itself, or a part of one.
    studies: dict[int, str] = {}
    attributes: dict[int, list[int]] = defaultdict(list)
    related = Source.objects.filter(Q(kind=Source.Kind.STUDY) | Q(part_of__kind=Source.Kind.STUDY))
    for pk, kind, citation, part_of, part_of_kind in related.order_by("citation").values_list(
        "pk", "kind", "citation", "part_of", "part_of__kind"
    ):
        if kind == Source.Kind.STUDY:
            studies[pk] = citation
            attributes[pk].append(pk)
        if part_of_kind == Source.Kind.STUDY:
            attributes[pk].append(part_of)
    if not attributes:
        return []
    cited = evidence.filter(source__in=list(attributes)).order_by().values_list("source", flat=True).distinct()
    found = {study for source in cited for study in attributes[source]}
    return [f"Study: {citation}" for pk, citation in studies.items() if pk in found]


def evidence_rows_for_pages(codings: QuerySet, reader: Reader = None) -> QuerySet:
    """`Evidence.objects.for_matrix_rows()`'s tuples followed by what a page shows when an item
    is expanded (`aggregates.evidence_details`): its original text as `reader` may see it, its
    language, and its source's URL."""
    return (
        Evidence.objects.filter(coding__in=codings.values("pk"))
        .for_reader(reader)
        .order_by("coding_id", "position", "pk")
        .values_list(
            "coding_id",
            "id",
            "visibility",
            "shown_kind",
            "shown_text",
            "shown_locator",
            *SOURCE_VALUES,
            "shown_original_text",
            "language",
            "source__url",
        )
    )


def values_matrix(
    network: Network | None = None,
    cities: list[str] | None = None,
    reader: Reader = None,
    details: bool = False,
    codes: list[Code] | None = None,
) -> dict:
    """`comparison_matrix` of `Coding.objects.for_matrix(network, cities, reader)`, built from
    plain values: a network's matrix may hold 50,000 codings, too many to build model instances
    for (`aggregates.comparison_matrix_from_values`, without a dict per coding). The evidence is
    as `reader` may see it (None: the public); with `details` (pages) each
    item also has its original text and full citation (`evidence_rows_for_pages`). Three
    queries: codings, their evidence, the codebook (none when `codes` are given)."""
    codings = Coding.objects.for_matrix_rows(network, cities)
    if details:
        evidence = evidence_rows_for_pages(codings, reader)
    else:
        evidence = Evidence.objects.for_matrix_rows(codings, reader)
    return comparison_matrix_from_values(codings, evidence, Code.objects.current() if codes is None else codes)


def agreed_matrix(
    network: Network | None = None,
    cities: list[str] | None = None,
    reader: Reader = None,
    details: bool = False,
    codes: list[Code] | None = None,
) -> dict:
    """`values_matrix` with agreement marks, made in place (`agreement.add_agreement`): a
    network's matrix is built from an empty cache after every write (issue 15)."""
    return agreement.add_agreement(values_matrix(network, cities, reader, details, codes))


# What a network offers and what its members use (the network page's first chart).

# The evidence shown behind the chart's bars: enough for any study, bounded for a network with
# thousands of coded members (the quote table, filtered the same way, has every item).


def offers_of_network(network: Network, codes: Iterable[Code], shown: int | None = None) -> dict:
    """What `network` offers beside what its members use (`aggregates.offer_and_use`'s shape
    for the current `codes`), summed up by the database: the network's highest salience per
    function, then each member's per perspective and function (a row per member, not per
    coding: 22,000 for a network of 10,000 members, read from an index alone), and the
    members' names. With `shown`, each list of names holds only its first `shown`
    (`offer_and_use_from_highest`). Four queries: with the function codes of every codebook
    version (a code kept across versions counts as one)."""
    functions = dict(Code.objects.filter(kind=Code.Kind.FUNCTION).values_list("pk", "code"))
    used = member_function_codings(network, functions)
    rows = plain_rows(used.values_list("perspective", "code_id", "city_id").annotate(salience=Max("salience")))
    highest = [(perspective, functions[code], city, salience) for perspective, code, city, salience in rows]
    if len(set(functions.values())) < len(functions):  # a code in several codebook versions
        highest = highest_per_member(highest)
    members = City.objects.filter(pk__in=used.values("city_id")).values_list("pk", "name", "slug")
    names = {pk: (name, slug) for pk, name, slug in members}
    own = dict(Coding.objects.functions_offered(network))
    return offer_and_use_from_highest(own, highest, names, codes, shown)


def plain_rows(rows: QuerySet) -> list[tuple]:
    """The tuples of a `values_list()` query as the database driver returns them, unordered:
    Django's conversion of each value (an int to an int) took longer than the query itself
    for 22,000 rows. Read from the database the query would use (a replica's)."""
    try:
        sql, params = rows.order_by().query.sql_with_params()
    except EmptyResultSet:  # a filter that no row can match, such as `pk__in=[]`
        return []
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def member_function_codings(network: Network, functions: Iterable[int]) -> QuerySet:
    """Codings of `network`'s members' use of the functions with these code ids, from either
    perspective on their use (their informants', the researchers'): the rows
    `networks_coding_offers_idx` holds."""
    return Coding.objects.filter(
        network=network, city__isnull=False, perspective__in=list(MEMBER_SIDES), code__in=list(functions)
    )


def offer_levels(network: Network) -> list[dict]:
    """How many codings of `network`'s members each function has, per perspective on their
    use and salience: rows {"code", "position" (the code's), "perspective", "salience",
    "codings"}, which `offer_codings` reads to know how far down each bar it must look (a few
    dozen rows). Two queries: the function codes, then the counts."""
    functions = {
        pk: (code, position)
        for pk, code, position in Code.objects.filter(kind=Code.Kind.FUNCTION).values_list("pk", "code", "position")
    }
    rows = (
        member_function_codings(network, functions)
        .values_list("code_id", "perspective", "salience")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        {
            "code": functions[code][0],
            "position": functions[code][1],
            "perspective": perspective,
            "salience": salience,
            "codings": n,
        }
        for code, perspective, salience, n in rows
    ]


def offer_codings(
    network: Network, used: Iterable[dict], own: Iterable[Coding], reader: Reader = None
) -> tuple[list[Coding], dict[str, int]]:
    """The codings behind the offer-and-use chart, bar by bar (`aggregates.offer_evidence`):
    for each function and side (the network's own view, the members' informants', the
    researchers' analysis) the first `aggregates.OFFER_CODINGS_SHOWN` by salience (the unrated
    last), city name and pk, with evidence as `reader` may see it; and how many codings each
    bar has ({anchor: n}). `used` are `offer_levels(network)`'s rows; `own` the
    network's own codings with evidence (the page shows them all). Three queries, whatever the
    size: the first members' codings of each bar, found by the database among only the salience
    levels they can come from (a large network's bar has 6,000 codings), then those codings
    and their evidence. A bar is a code's (by code and position, as the codebook orders it)."""
    shown = OFFER_CODINGS_SHOWN
    per_level: Counter = Counter()
    for row in used:
        per_level[row["code"], row["position"], row["perspective"], row["salience"]] += row["codings"]
    counts: dict[tuple[str, int, str], dict[int | None, int]] = defaultdict(dict)
    for (code, position, perspective, salience), n in per_level.items():
        counts[(code, position, perspective)][salience] = n
    totals: dict[str, int] = defaultdict(int)
    # Per bar, the salience levels its first codings come from and how many of each to take.
    parts: list[tuple[str, int, str, int | None, int]] = []
    for (code, position, perspective), levels in counts.items():
        totals[offer_anchor(code, MEMBER_SIDES[perspective])] += sum(levels.values())
        found = 0
        for salience in sorted(levels, key=salience_rank, reverse=True):
            parts.append((code, position, perspective, salience, shown - found))
            found += levels[salience]
            if found >= shown:
                break
    codings = []
    if parts:
        members = Coding.objects.of_members(network)
        if connection.features.supports_slicing_ordering_in_compound:
            # One small query per level, by city name: the database walks the cities by name.
            firsts = [
                members.filter(code__code=code, code__position=position, perspective=perspective, salience=salience)
                .order_by("city__name", "pk")
                .values_list("pk", flat=True)[:limit]
                for code, position, perspective, salience, limit in parts
            ]
            ids = list(firsts[0].union(*firsts[1:], all=True))
        else:
            wanted = [
                Q(code__code=code, code__position=position, perspective=perspective, salience=salience)
                for code, position, perspective, salience, _limit in parts
            ]
            ranked = (
                members.filter(reduce(operator.or_, wanted))
                .annotate(
                    place=Window(
                        RowNumber(),
                        partition_by=[F("code__code"), F("code__position"), F("perspective")],
                        order_by=[F("salience").desc(nulls_last=True), F("city__name").asc(), F("pk").asc()],
                    )
                )
                .filter(place__lte=shown)
            )
            ids = list(ranked.values_list("pk", flat=True))
        codings = list(
            Coding.objects.filter(pk__in=ids)
            .with_evidence(reader)
            .order_by("code__position", F("salience").desc(nulls_last=True), "city__name", "pk")
        )
    functions = [coding for coding in own if coding.code.kind == Code.Kind.FUNCTION]
    for coding in functions:
        totals[offer_anchor(coding.code.code, "network")] += 1
    functions.sort(key=lambda coding: (coding.code.position, -salience_rank(coding.salience), coding.pk))
    return functions + codings, dict(totals)
