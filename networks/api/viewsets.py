"""The resources of the REST API, version 1: one viewset per model, on `networks.api.base`."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404, StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers

from cities.geonames import GEONAMES_ATTRIBUTION
from citynet.api import READ_ONLY_METHODS, SLUG_PATTERN, ApiSearchFilter
from citynet.downloads import FORMULA_PREFIXES, csv_lines, in_blocks
from networks import aggregates, filters
from networks.api.base import DATETIME, ApiViewSet, VersionCheckedViewSet, resource_schema
from networks.api.serializers import (
    CodeSerializer,
    CodingSerializer,
    EngagementObservationSerializer,
    MembershipSerializer,
    NetworkSerializer,
    ParticipationSerializer,
    QuoteSerializer,
    ReleaseSerializer,
    SourceSerializer,
    SubNetworkSerializer,
)
from networks.dates import spell_period
from networks.models import (
    Code,
    Coding,
    EngagementObservation,
    Evidence,
    Membership,
    Network,
    Participation,
    Release,
    Source,
    SubNetwork,
    iso_utc,
)
from networks.research.citations import attribution_lines
from networks.selectors import CODING_NOTE, evidence_sources
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

    def page_data(self, page: list[Membership]) -> list[dict]:
        # DRF spends ~0.1 ms a spell on 23 fields, a third of a page's time: the page is
        # written directly, as the serializer would (tests/networks/test_api_queries.py compares).
        if serializer_fields(self.serializer_class) != MEMBERSHIP_COLUMNS:
            return super().page_data(page)
        return [membership_data(spell) for spell in page]

    def csv_download(self, queryset: QuerySet):
        serializer = self.get_serializer()
        columns = self.csv_columns(serializer)
        if columns != MEMBERSHIP_COLUMNS or settings.TIME_ZONE != "UTC":
            return super().csv_download(queryset)
        # The serializer takes ~100 µs a row: fine for a page of 50, minutes for every spell. The
        # export writes the same cells from plain values (tests/networks/test_api_csv.py compares).
        comments = attribution_lines(self.resource, self.request.build_absolute_uri(), self.attribution(queryset))
        head = csv_lines([], columns=columns, comments=comments)
        networks = Network.objects.filter(pk__in=queryset.values("network")).values_list("pk", "slug", "name")
        sources = Source.objects.filter(pk__in=queryset.values("source")).values_list("pk", "label", "citation", "url")
        body = membership_csv_blocks(
            queryset.for_export().iterator(chunk_size=2000),
            networks={pk: f"{safe(slug)},{safe(name)}" for pk, slug, name in networks},
            sources={
                pk: f"{pk},{safe(label or citation[:80])},{safe(citation)},{safe(url)}"
                for pk, label, citation, url in sources
            },
        )
        response = StreamingHttpResponse(itertools.chain(in_blocks(head), body), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="citynet-{self.resource}.csv"'
        return response


# MembershipSerializer's fields, in order: what membership_csv_blocks() writes.
MEMBERSHIP_COLUMNS = [
    "id",
    "city",
    "city_name",
    "country",
    "city_kind",
    "network",
    "network_name",
    "type",
    "joined",
    "joined_precision",
    "left",
    "left_precision",
    "period",
    "application_round",
    "took_effect",
    "listed_on",
    "source",
    "source_label",
    "source_citation",
    "source_url",
    "note",
    "created_at",
    "updated_at",
]


@functools.cache
def serializer_fields(serializer_class) -> list[str]:
    """The names of a serializer's fields, in order (built once: it takes a millisecond)."""
    return list(serializer_class().fields)


DATE = serializers.DateField()


def membership_data(spell: Membership) -> dict:
    """A spell (with city, network and source) as `MembershipSerializer` represents it."""
    city, network, source = spell.city, spell.network, spell.source
    return {
        "id": spell.pk,
        "city": city.slug,
        "city_name": city.name,
        "country": city.country,
        "city_kind": city.kind,
        "network": network.slug,
        "network_name": network.name,
        "type": spell.type,
        "joined": DATE.to_representation(spell.joined) if spell.joined else None,
        "joined_precision": spell.joined_precision,
        "left": DATE.to_representation(spell.left) if spell.left else None,
        "left_precision": spell.left_precision,
        "period": spell.period,
        "application_round": spell.application_round,
        "took_effect": spell.took_effect,
        "listed_on": DATE.to_representation(spell.listed_on) if spell.listed_on else None,
        "source": spell.source_id,
        "source_label": str(source),
        "source_citation": source.citation,
        "source_url": source.url,
        "note": spell.note,
        "created_at": DATETIME.to_representation(spell.created_at),
        "updated_at": DATETIME.to_representation(spell.updated_at),
    }


def quoted(value: str) -> str:
    """A text cell as csv_lines() writes it: quoted (QUOTE_NONNUMERIC), inner quotes doubled."""
    return '"' + value.replace('"', '""') + '"'


def safe(value: str | None) -> str:
    """A text cell that may be missing or look like a formula, as csv_lines() writes it."""
    if not value:
        return '""'
    return quoted("'" + value if value.startswith(FORMULA_PREFIXES) else value)


def membership_csv_blocks(spells, networks: dict[int, str], sources: dict[int, str]) -> Iterator[bytes]:
    """`Membership.objects.for_export()` tuples as the CSV lines `csv_lines()` writes for
    MembershipSerializer's data (same cells, same quoting: tests compare), 1,000 at a time.

    A line is joined from pieces: `networks` and `sources` hold each network's and source's
    cells, written once (`{id: 'slug,name'}`, `{id: 'id,label,citation,url'}`), a place's cells
    are written once too; dates, enumerations and timestamps hold no quote and are quoted as
    they are; only free text goes through `safe()`."""
    places: dict[str, str] = {}
    block: list[str] = []
    for (
        pk,
        city,
        city_name,
        country,
        city_kind,
        network,
        type_,
        joined,
        joined_precision,
        left,
        left_precision,
        application_round,
        took_effect,
        listed_on,
        source,
        note,
        created_at,
        updated_at,
    ) in spells:
        place = places.get(city)
        if place is None:
            place = places[city] = ",".join(map(safe, (city, city_name, country, city_kind)))
        period = safe(spell_period(joined, joined_precision, left, left_precision, took_effect))
        round_ = '""' if application_round is None else application_round
        block.append(
            f'{pk},{place},{networks[network]},"{type_}","{joined.isoformat() if joined else ""}",'
            f'"{joined_precision}","{left.isoformat() if left else ""}","{left_precision}",{period},{round_},'
            f'"{"true" if took_effect else "false"}","{listed_on.isoformat() if listed_on else ""}",'
            f'{sources[source]},{safe(note)},"{iso_utc(created_at) or ""}","{iso_utc(updated_at) or ""}"\r\n'
        )
        if len(block) == 1000:
            yield "".join(block).encode("utf-8")
            block = []
    if block:
        yield "".join(block).encode("utf-8")


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
        return Coding.objects.for_list(self.request.user)

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
        return Evidence.objects.for_quote_table(self.request.user)

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
