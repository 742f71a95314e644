"""The resources of the REST API, version 1: one viewset per model, on `networks.api.base`."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.db.models import QuerySet
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend

from cities.geonames import GEONAMES_ATTRIBUTION
from citynet.api import READ_ONLY_METHODS
from citynet.api import SLUG_PATTERN
from citynet.api import ApiSearchFilter
from citynet.downloads import csv_response
from networks import aggregates
from networks import filters
from networks.api import fast
from networks.api.base import ApiViewSet
from networks.api.base import VersionCheckedViewSet
from networks.api.base import resource_schema
from networks.api.serializers import CodeSerializer
from networks.api.serializers import CodingSerializer
from networks.api.serializers import EngagementObservationSerializer
from networks.api.serializers import MembershipSerializer
from networks.api.serializers import NetworkSerializer
from networks.api.serializers import ParticipationSerializer
from networks.api.serializers import QuoteSerializer
from networks.api.serializers import ReleaseSerializer
from networks.api.serializers import SourceSerializer
from networks.api.serializers import SubNetworkSerializer
from networks.models import Code
from networks.models import Coding
from networks.models import EngagementObservation
from networks.models import Evidence
from networks.models import Membership
from networks.models import Network
from networks.models import Participation
from networks.models import Release
from networks.models import Source
from networks.models import SubNetwork
from networks.research.citations import attribution_lines
from networks.selectors import CODING_NOTE
from networks.selectors import evidence_sources
from networks.visibility import PUBLIC_READERS


class CodingSearchFilter(ApiSearchFilter):
    """`ApiSearchFilter` over a coding's own search fields and the text of its evidence as the
    reader may see it (`Evidence.objects.for_reader().matching()`): a search must not find
    codings by words of restricted evidence, or it would tell what that evidence says."""

    def filter_queryset(self, request, queryset, view):
        terms = self.get_search_terms(request)
        if not terms:
            return queryset
        for term in terms:
            match = Q(pk__in=Evidence.objects.for_reader(request.user).matching(term).values("coding"))
            for field in self.get_search_fields(view, request):
                match |= Q(**{f"{field}__icontains": term})
            queryset = queryset.filter(match)
        return queryset


# The networks app's resources.


@resource_schema("networks", "network", "slug")
class NetworkViewSet(ApiViewSet):
    """International city networks, with their member and coding counts."""

    cache_pages = True
    serializer_class = NetworkSerializer
    filterset_class = filters.NetworkFilter
    search_fields = ["name", "acronym", "description"]
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    resource = "networks"
    place_data = False
    facet_dimensions = {"scope": "scope", "focus": "focus", "region": "region"}

    def get_queryset(self):
        return Network.objects.for_api()

    def attribution_sources(self, queryset):
        return queryset.values("member_count_source")


@resource_schema("membership spells", "membership spell", "id")
class MembershipViewSet(VersionCheckedViewSet):
    """Membership spells: which place was a member of which network, when, and by which source."""

    cache_pages = True
    serializer_class = MembershipSerializer
    fast_rows = staticmethod(fast.membership_rows)
    filterset_class = filters.MembershipFilter
    search_fields = ["city__name", "network__name", "network__acronym", "note"]
    resource = "memberships"
    attribution_note = "Membership spells: each row's source_label, source_citation and source_url name its source."
    facet_dimensions = {
        "network": "network__slug",
        "country": "city__country",
        "city_kind": "city__kind",
        "type": "type",
        "round": "application_round",
        "joined_year": "joined__year",
        "left_year": "left__year",
        "took_effect": "took_effect",
    }

    def get_queryset(self):
        return Membership.objects.for_list()

    def csv_download(self, queryset: QuerySet):
        if settings.TIME_ZONE != "UTC":  # the fast writer copies the database's UTC timestamps
            return super().csv_download(queryset)
        serializer = self.get_serializer()
        columns = self.csv_columns(serializer)
        comments = attribution_lines(self.resource, self.request.build_absolute_uri(), self.attribution(queryset))
        lines = serializer.csv_text(queryset, columns)
        return csv_response([], columns=columns, comments=comments, filename=self.resource, lines=lines)


@resource_schema("sub-networks", "sub-network", "id")
class SubNetworkViewSet(ApiViewSet):
    """The parts of a network where work happens: forums, working groups, platforms, offices."""

    cache_pages = True
    serializer_class = SubNetworkSerializer
    filterset_class = filters.SubNetworkFilter
    search_fields = ["name", "description"]
    resource = "subnetworks"
    place_data = False
    facet_dimensions = {"network": "network__slug", "kind": "kind", "permanent": "permanent"}

    def get_queryset(self):
        # SubNetwork has no QuerySet class yet; this is the fetch plan its `for_list()` would hold.
        return SubNetwork.objects.select_related("network", "parent").order_by("network__name", "kind", "name")

    def attribution_sources(self, queryset):
        return queryset.values("source")


@resource_schema("participations", "participation", "id")
class ParticipationViewSet(ApiViewSet):
    """Which unit of a city (a department, politicians, a role) takes part in which network or sub-network."""

    cache_pages = True
    serializer_class = ParticipationSerializer
    filterset_class = filters.ParticipationFilter
    search_fields = ["unit", "note", "city__name", "subnetwork__name"]
    resource = "participations"
    attribution_note = "Participations: each row's source_label names its source."
    facet_dimensions = {
        "network": "network__slug",
        "subnetwork": "subnetwork__slug",
        "country": "city__country",
        "unit_kind": "unit_kind",
        "involvement": "involvement",
    }

    def get_queryset(self):
        return Participation.objects.for_list()

    def attribution_sources(self, queryset):
        return queryset.values("source")


@resource_schema("codes", "code", "code")
class CodeViewSet(ApiViewSet):
    """The codebook: network functions and logics of participation, by code. A code is looked up
    in the current codebook version unless `?version=<label>` names another."""

    cache_pages = True
    serializer_class = CodeSerializer
    filterset_class = filters.CodeFilter
    search_fields = ["code", "name", "definition"]
    lookup_field = "code"
    lookup_value_regex = SLUG_PATTERN
    resource = "codes"
    place_data = False
    facet_dimensions = {"kind": "kind", "version": "version__label"}

    def get_queryset(self):
        return Code.objects.for_list()

    def get_object(self):
        # A code is unique per codebook version; for_list() puts the current version first.
        code = self.filter_queryset(self.get_queryset()).filter(code=self.kwargs["code"]).first()
        if code is None:
            raise Http404
        self.check_object_permissions(self.request, code)
        return code

    def attribution_sources(self, queryset):
        return queryset.values("version__based_on")


@resource_schema("sources", "source", "id")
class SourceViewSet(ApiViewSet):
    """Where facts and codes come from: the study, its interviews, documents, web pages, member lists."""

    serializer_class = SourceSerializer
    filterset_class = filters.SourceFilter
    search_fields = ["label", "citation", "organisation"]
    resource = "sources"
    place_data = False
    facet_dimensions = {"kind": "kind", "year": "year"}

    def get_queryset(self):
        # Source has no QuerySet class yet; Meta.ordering is the list order.
        return Source.objects.all()

    def attribution_sources(self, queryset):
        return queryset.values("pk")


@resource_schema("codings", "coding", "id")
class CodingViewSet(VersionCheckedViewSet):
    """Codes applied to a city's use of a network (or, with no city, to what a network as a whole
    offers), each with its evidence. `search` looks in names and in the evidence text."""

    cache_pages = PUBLIC_READERS
    serializer_class = CodingSerializer
    fast_rows = staticmethod(fast.coding_rows)
    filterset_class = filters.CodingFilter
    filter_backends = [DjangoFilterBackend, CodingSearchFilter]
    # And the evidence text the reader may see (CodingSearchFilter).
    search_fields = ["city__name", "network__name", "code__name", "note"]
    resource = "codings"
    attribution_note = CODING_NOTE
    facet_dimensions = {
        "code": "code__code",
        "code_kind": "code__kind",
        "salience": "salience",
        "outcome": "outcome",
        "perspective": "perspective",
        "network": "network__slug",
        "country": "city__country",
        "city": "city__slug",
        "coder": "coder__name",
    }

    def get_queryset(self):
        return fast.for_reader(Coding.objects.for_list, self.request.user)

    def attribution_sources(self, queryset):
        return evidence_sources(queryset)

    def csv_columns(self, serializer):
        columns = super().csv_columns(serializer)
        return [*columns[: columns.index("evidence")], "evidence_count", "evidence", "evidence_ids"]

    def csv_row(self, data):
        evidence = data["evidence"]
        return {
            **data,
            "evidence_count": len(evidence),
            "evidence": [aggregates.evidence_line(item) for item in evidence],
            "evidence_ids": [item["id"] for item in evidence],
        }


@resource_schema("engagement observations", "engagement observation", "id")
class EngagementObservationViewSet(ApiViewSet):
    """How engaged a city was in a network at a date, as a source reports it."""

    cache_pages = True
    serializer_class = EngagementObservationSerializer
    filterset_class = filters.EngagementObservationFilter
    search_fields = ["note", "city__name", "network__name"]
    resource = "engagement"
    attribution_note = "Engagement levels: the coder's reading of each row's source (source_label)."
    facet_dimensions = {"network": "network__slug", "country": "city__country", "level": "level"}

    def get_queryset(self):
        # EngagementObservation has no QuerySet class yet; Meta.ordering is the list order.
        return EngagementObservation.objects.select_related("city", "network", "source")

    def attribution_sources(self, queryset):
        return queryset.values("source")


@resource_schema("evidence items", "evidence item", "id")
class EvidenceViewSet(ApiViewSet):
    """The quote table: every quote and paraphrase with the coding it supports (city, network,
    code, salience, outcome, perspective, coder) and its source and locator. Read-only; edit
    evidence through its coding (/api/v1/codings/)."""

    cache_pages = PUBLIC_READERS
    serializer_class = QuoteSerializer
    fast_rows = staticmethod(fast.quote_rows)
    filterset_class = filters.EvidenceFilter
    # The text and original text as the reader may see them (annotations of for_quote_table()).
    search_fields = [
        "shown_text",
        "shown_original_text",
        "coding__city__name",
        "coding__network__name",
        "source__label",
    ]
    resource = "evidence"
    attribution_note = CODING_NOTE
    http_method_names = READ_ONLY_METHODS
    facet_dimensions = {
        "network": "coding__network__slug",
        "city": "coding__city__slug",
        "code": "coding__code__code",
        "kind": "shown_kind",
        "visibility": "visibility",
        "coder": "coding__coder__name",
        "source": "source",
    }

    def get_queryset(self):
        return fast.for_reader(Evidence.objects.for_quote_table, self.request.user)

    def attribution_sources(self, queryset):
        return queryset.values("source")


@resource_schema("data releases", "data release", "label")
class ReleaseViewSet(ApiViewSet):
    """Data releases: frozen, checksummed snapshots of all the data (made with `manage.py
    make_release`), newest first, with their download address and citation. Read-only."""

    serializer_class = ReleaseSerializer
    filter_backends: list = []
    lookup_field = "label"
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
    resource = "releases"
    http_method_names = READ_ONLY_METHODS
    facet_dimensions = {"year": "released__year"}

    def get_queryset(self):
        return Release.objects.all()

    def attribution(self, queryset):
        return [GEONAMES_ATTRIBUTION, *Source.objects.study_citations()]
