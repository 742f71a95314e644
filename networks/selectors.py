"""Reads shared by the pages and the API: what a city's profile, a city list, the comparison
matrix and every download's attribution are built from.

Pages (`networks.views`, `cities.views`) and the API (`networks.api`) both read through here
and never import each other. The place register (`cities.models`) knows nothing of networks,
so the reads of places by their memberships and codings live here too.
"""

from __future__ import annotations

from django.db.models import Count
from django.db.models import OuterRef
from django.db.models import Prefetch
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Subquery
from django.db.models.functions import Coalesce

from cities.models import City
from cities.models import CityQuerySet
from networks import aggregates
from networks.models import Code
from networks.models import Coding
from networks.models import EngagementObservation
from networks.models import Evidence
from networks.models import Membership
from networks.models import Network
from networks.models import Participation
from networks.models import Source
from networks.research import agreement
from networks.visibility import Reader

CODING_NOTE = (
    "Codings: salience (0-3) and outcome are the named coder's reading of the evidence, which "
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


def cities_for_profile(reader: Reader = None) -> CityQuerySet:
    """Places with everything a city's profile shows prefetched: `memberships` (with network and
    source), `codings` (with network, code, coder and evidence as `reader` may see it:
    networks.visibility), `participations` (with network, sub-network and source) and
    `engagement_observations` (with network, source)."""
    return City.objects.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.for_list()),
        Prefetch(
            "codings",
            queryset=Coding.objects.with_evidence(reader).order_by("network__name", "code__kind", "code__position"),
        ),
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


def values_matrix(network: Network | None = None, cities: list[str] | None = None, reader: Reader = None) -> dict:
    """`comparison_matrix` of `Coding.objects.for_matrix(network, cities, reader)`, built from
    plain values: a network's matrix may hold 50,000 codings, too many to build model instances
    for. The evidence is as `reader` may see it (None: the public). Three queries: codings,
    their evidence, the codebook."""
    codings = Coding.objects.for_matrix_rows(network, cities)
    rows = aggregates.coding_rows(codings, Evidence.objects.for_matrix_rows(codings, reader))
    return aggregates.comparison_matrix_from_rows(rows, Code.objects.current())


def agreed_matrix(network: Network | None = None, cities: list[str] | None = None, reader: Reader = None) -> dict:
    """`values_matrix` with agreement marks (`agreement.matrix_with_agreement`)."""
    return agreement.matrix_with_agreement(values_matrix(network, cities, reader))
