"""The REST API's aggregates: the city x code comparison matrix and agreement between coders."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from cities.geonames import GEONAMES_ATTRIBUTION
from citynet.api import FreesResponseAfterDispatch
from citynet.api import IsStaffOrReadOnly
from citynet.api import ThrottlesRefusedRequests
from citynet.downloads import CSVRenderer
from citynet.downloads import csv_response
from networks import aggregates
from networks.aggregates.quotes import AGREEMENT_COLUMNS
from networks.api.base import ApiAutoSchema
from networks.api.base import api_citation
from networks.api.base import check_query_parameters
from networks.api.base import serializer_parameters
from networks.api.examples import MATRIX_EXAMPLES
from networks.api.fast import render_json
from networks.api.shapes import AgreementSerializer
from networks.api.shapes import MatrixQuerySerializer
from networks.api.shapes import MatrixSerializer
from networks.api.shapes import NetworkQuerySerializer
from networks.collector import collector_paused
from networks.models import Code
from networks.models import Coding
from networks.models import Evidence
from networks.models import Network
from networks.research import agreement
from networks.research.citations import attribution_lines
from networks.selectors import CODING_NOTE
from networks.selectors import agreed_matrix
from networks.selectors import studies_cited
from networks.visibility import cached_for_public_readers


class MatrixJSONRenderer(JSONRenderer):
    """DRF's JSONRenderer, byte for byte, encoded by orjson (`fast.render_json`): five times
    faster on a network's matrix (30 MB of JSON, built from an empty cache after every write:
    issue 15)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return render_json(data, self, accepted_media_type, renderer_context or {}, drf_render=super().render)


class AggregateView(FreesResponseAfterDispatch, ThrottlesRefusedRequests, GenericAPIView):
    """An aggregate of the API: read by anyone, in JSON or CSV, whole (not paginated), with the
    API's documented errors; its query is a serializer of its own (`query_serializer_class`),
    and a parameter that is none of its fields, nor `format`, is a 400."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    permission_classes = [IsStaffOrReadOnly]
    pagination_class = None
    filter_backends: list = []
    schema = ApiAutoSchema()
    query_serializer_class: type[NetworkQuerySerializer] = NetworkQuerySerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            check_query_parameters(request, serializer_parameters(self.query_serializer_class), one_page=True)

    def query(self, request) -> dict:
        """The aggregate's query, validated (400 naming the parameter)."""
        query = self.query_serializer_class(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data


class MatrixView(AggregateView):
    """The study's central table as data: for one network (or all), the city × code matrix.

    Each cell gives the salience (0-3), the outcome, the evidence count and the evidence
    itself (id, quote or paraphrase, citation); a cell is null where the code was not
    applied. Each cell's `agreement` marks it single-coded, or coded by several coders who
    agree (same salience and outcome) or disagree. In CSV, one row per filled cell."""

    query_serializer_class = MatrixQuerySerializer
    renderer_classes = [MatrixJSONRenderer, BrowsableAPIRenderer, CSVRenderer]

    @extend_schema(
        summary="The city × code comparison matrix",
        parameters=[MatrixQuerySerializer],
        responses=MatrixSerializer,
        examples=MATRIX_EXAMPLES,
        tags=["matrix"],
    )
    def get(self, request):
        query = self.query(request)
        network, cities = query.get("network"), query.get("city", [])
        renderer = request.accepted_renderer
        if getattr(renderer, "format", None) == "json":
            # Rendered once and reused while the data are unchanged (citynet.caching): the
            # matrix of a network with thousands of members is costly to build and megabytes of JSON.
            def build() -> HttpResponse:
                with collector_paused():
                    body = renderer.render(
                        self.matrix_data(request, network, cities),
                        request.accepted_media_type,
                        self.get_renderer_context(),
                    )
                return HttpResponse(body, content_type=renderer.media_type)

            return cached_for_public_readers(request, build, variant=request.accepted_media_type)
        if getattr(renderer, "format", None) == "csv":
            matrix, attribution = self.matrix(request, network, cities)
            comments = attribution_lines("comparison matrix", request.build_absolute_uri(), attribution)
            rows = aggregates.matrix_flat_rows(matrix)
            return csv_response(rows, columns=aggregates.MATRIX_COLUMNS, comments=comments, filename="matrix")
        return Response(self.matrix_data(request, network, cities))

    def matrix(self, request, network: Network | None, cities: list[str]) -> tuple[dict, list[str]]:
        """The matrix with agreement marks, with evidence as the request's user may see it, and
        its attribution lines."""
        # Every evidence item of the matrix's codings, filtered by joins (not `coding__in` a
        # subquery of 50,000 codings), so only the few citing a study are read.
        evidence = Evidence.objects.filter(coding__city__isnull=False)
        if network is not None:
            evidence = evidence.filter(coding__network=network)
        if cities:
            evidence = evidence.filter(coding__city__slug__in=cities)
        attribution = [GEONAMES_ATTRIBUTION, *studies_cited(evidence), CODING_NOTE]
        return agreed_matrix(network, cities, reader=request.user), attribution

    def matrix_data(self, request, network: Network | None, cities: list[str]) -> dict:
        """The JSON body: the matrix with the network and cities asked for, attribution, citation."""
        matrix, attribution = self.matrix(request, network, cities)
        network_ref = {"slug": network.slug, "name": network.name, "acronym": network.acronym} if network else None
        return {
            "network": network_ref,
            "cities": cities,
            **matrix,
            "attribution": attribution,
            "citation": api_citation(request, attribution),
        }


class AgreementView(AggregateView):
    """Inter-coder agreement among the codings of one network (or all): Cohen's kappa and
    Krippendorff's alpha overall and per code, for presence and salience, and every unit
    where coders differ with their codings side by side (definitions: networks/research/agreement.py).
    In CSV, one row per code."""

    @extend_schema(
        summary="Agreement between coders",
        parameters=[NetworkQuerySerializer],
        responses=AgreementSerializer,
        tags=["agreement"],
    )
    def get(self, request):
        network = self.query(request).get("network")
        codings = Coding.objects.for_agreement(network, reader=request.user)
        columns = aggregates.code_columns(Code.objects.current())
        summary = agreement.agreement_summary(
            agreement.coding_rows(codings), codes=[column["code"] for column in columns]
        )
        evidence = Evidence.objects.filter(coding__in=codings.values("pk"))
        attribution = [GEONAMES_ATTRIBUTION, *studies_cited(evidence), CODING_NOTE]
        if getattr(request.accepted_renderer, "format", None) == "csv":
            comments = attribution_lines("agreement between coders", request.build_absolute_uri(), attribution)
            rows = aggregates.agreement_flat_rows(summary)
            return csv_response(rows, columns=AGREEMENT_COLUMNS, comments=comments, filename="agreement")
        network_ref = {"slug": network.slug, "name": network.name, "acronym": network.acronym} if network else None
        return Response(
            {
                "network": network_ref,
                **summary,
                "attribution": attribution,
                "citation": api_citation(request, attribution),
            }
        )
