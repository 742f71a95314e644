"""The REST API, version 1: member places (cities) and a city's network portfolio."""

from django.http import Http404
from django.http import HttpResponsePermanentRedirect
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from cities.geonames import GEONAMES_ATTRIBUTION
from cities.models import City
from cities.models import PlaceRedirect
from cities.serializers import CitySerializer
from citynet.api import SLUG_PATTERN
from citynet.downloads import csv_response
from networks import aggregates
from networks import filters
from networks.api import fast
from networks.api.base import ApiViewSet
from networks.api.base import api_citation
from networks.api.base import resource_schema
from networks.api.schema import ApiAutoSchema
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


class PlaceMoved(Exception):
    """The slug is a merged place's: it answers with a permanent redirect to `survivor`."""

    def __init__(self, survivor: City):
        self.survivor = survivor


class PermanentRedirectKeepingMethod(HttpResponsePermanentRedirect):
    status_code = 308


class CitySchema(ApiAutoSchema):
    """Also documents the permanent redirect of a merged place's address."""

    def error_responses(self):
        responses = super().error_responses()
        if "{slug}" in self.path:
            code = "301" if self.method == "GET" else "308"
            responses[code] = OpenApiResponse(
                description="Moved permanently: the place was merged into another (a duplicate); "
                "`Location` is the surviving place's address."
            )
        return responses


@resource_schema("member places", "member place", "slug")
class CityViewSet(ApiViewSet):
    """Member places of city networks: cities, metropolitan bodies, groupings and districts,
    with GeoNames-matched coordinates and population. The address of a place merged into
    another (a duplicate) keeps working: it answers 301 (308 to a write) with the surviving
    place's address in `Location`."""

    schema = CitySchema()

    cache_pages = True
    serializer_class = CitySerializer
    fast_rows = staticmethod(fast.city_rows)
    filterset_class = filters.CityFilter
    search_fields = ["name", "geonames_name"]
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    resource = "cities"
    attribution_note = "Population is indicative; each row's population_source names its source."
    facet_dimensions = {"country": "country", "kind": "kind"}

    def get_queryset(self):
        return fast.shared(cities_for_list)

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            survivor = PlaceRedirect.objects.target(self.kwargs[self.lookup_field])
            if survivor is None:
                raise
            raise PlaceMoved(survivor) from None

    def handle_exception(self, exc):
        if not isinstance(exc, PlaceMoved):
            return super().handle_exception(exc)
        match = self.request.resolver_match
        url = reverse(match.view_name, kwargs={**match.kwargs, self.lookup_field: exc.survivor.slug})
        query = self.request.META.get("QUERY_STRING", "")
        url += f"?{query}" if query else ""
        # Clients that follow a 308 repeat the method and body, so a write reaches the place it meant.
        moved = (
            HttpResponsePermanentRedirect if self.request.method in ("GET", "HEAD") else PermanentRedirectKeepingMethod
        )
        return moved(url)

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
            Membership.objects.filter(city=city).for_list(),
            codings.values_list("network_id", "code__code", "salience"),
            Code.objects.current(),
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
