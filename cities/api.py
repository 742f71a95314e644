"""The REST API, version 1: member places (cities) and a city's network portfolio."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from cities.geonames import GEONAMES_ATTRIBUTION
from cities.models import City
from cities.serializers import CitySerializer
from citynet.api import SLUG_PATTERN
from citynet.downloads import csv_response
from networks import aggregates
from networks import filters
from networks.api.base import ApiViewSet
from networks.api.base import api_citation
from networks.api.base import resource_schema
from networks.api.shapes import PortfolioSerializer
from networks.models import Code
from networks.models import Coding
from networks.models import Membership
from networks.research.citations import attribution_lines
from networks.selectors import CODING_NOTE
from networks.selectors import cities_for_list
from networks.selectors import evidence_sources
from networks.selectors import studies_attribution

PORTFOLIO_COLUMNS = ["city", "city_slug", "network", "network_slug", "spells", "code", "code_kind", "salience"]


def portfolio_rows(city: City, portfolio: dict) -> list[dict]:
    """The portfolio as one row per network × codebook column (salience empty where not coded)."""
    return [
        {
            "city": city.name,
            "city_slug": city.slug,
            "network": entry["network"]["name"],
            "network_slug": entry["network"]["slug"],
            "spells": entry["spells"],
            "code": column["code"],
            "code_kind": column["kind"],
            "salience": {**entry["functions"], **entry["logics"]}.get(column["code"]),
        }
        for entry in portfolio["networks"]
        for column in portfolio["codes"]
    ]


@resource_schema("member places", "member place", "slug")
class CityViewSet(ApiViewSet):
    """Member places of city networks: cities, metropolitan bodies, groupings and districts,
    with GeoNames-matched coordinates and population."""

    cache_pages = True
    serializer_class = CitySerializer
    filterset_class = filters.CityFilter
    search_fields = ["name", "geonames_name"]
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    resource = "cities"
    attribution_note = "Population is indicative; each row's population_source names its source."
    facet_dimensions = {"country": "country", "kind": "kind"}

    def get_queryset(self):
        return cities_for_list()

    @extend_schema(
        summary="A city's network portfolio",
        description="The city's networks with their membership spells and the functions and logics each "
        "one serves (highest salience per code), the functions two or more networks serve (overlaps), "
        "and the functions none serves (gaps). In CSV, one row per network and codebook column.",
        responses=PortfolioSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], query_parameters=())  # `format` only: no filters
    def portfolio(self, request, slug=None):
        city = self.get_object()
        codings = Coding.objects.for_city(city, request.user)
        portfolio = aggregates.city_portfolio(
            Membership.objects.filter(city=city).for_list(), codings, Code.objects.current()
        )
        attribution = [GEONAMES_ATTRIBUTION, *studies_attribution(evidence_sources(codings)), CODING_NOTE]
        if self.wants_csv():
            comments = attribution_lines(f"portfolio of {city.name}", request.build_absolute_uri(), attribution)
            rows = portfolio_rows(city, portfolio)
            return csv_response(rows, columns=PORTFOLIO_COLUMNS, comments=comments, filename=f"portfolio-{city.slug}")
        place = {"slug": city.slug, "name": city.name, "country": city.country}
        return Response(
            {"city": place, **portfolio, "attribution": attribution, "citation": api_citation(request, attribution)}
        )
