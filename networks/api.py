"""The REST API, version 1: resources of the networks app, the matrix, and the shared plumbing.

Reads are open to everyone; writes need a staff account (session or `Authorization: Token`).
Lists are paginated in JSON and complete in CSV (streamed); every list and aggregate
names its sources and licences (`attribution`). See citynet/settings.py
SPECTACULAR_SETTINGS["DESCRIPTION"] for the conventions as users read them.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, ProtectedError, Q, QuerySet
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.template import engines
from django.utils.cache import parse_etags
from django.views.decorators.csrf import csrf_exempt
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularRedocView
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.routers import APIRootView, DefaultRouter
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from networks import aggregates, agreement, concurrency, filters
from networks.caching import cached_response
from networks.citations import citation_for
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
    spell_period,
)
from networks.renderers import (
    FORMULA_PREFIXES,
    GEONAMES_ATTRIBUTION,
    CSVRenderer,
    attribution_lines,
    csv_lines,
    csv_response,
    in_blocks,
)
from networks.serializers import (
    AgreementQuerySerializer,
    AgreementSerializer,
    CodeSerializer,
    CodingSerializer,
    EditConflictSerializer,
    EngagementObservationSerializer,
    ErrorSerializer,
    FacetsSerializer,
    MatrixQuerySerializer,
    MatrixSerializer,
    MembershipSerializer,
    NetworkSerializer,
    ParticipationSerializer,
    QuoteSerializer,
    ReleaseSerializer,
    SourceSerializer,
    SubNetworkSerializer,
    ValidationErrorSerializer,
)
from networks.visibility import PUBLIC_READERS, Reader, cached_for_public_readers

SLUG_PATTERN = r"[-a-zA-Z0-9_]+"
ID_PATTERN = r"[0-9]{1,18}"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MATRIX_COLUMNS = aggregates.MATRIX_COLUMNS
AGREEMENT_COLUMNS = [
    "code",
    "units",
    "presence_alpha",
    "salience_alpha",
    "presence_kappa",
    "salience_kappa",
    "disagreements",
]
READ_ONLY_METHODS = ["get", "head", "options"]


# Permissions, pagination, errors and the schema's error responses.


class LetsGoOfItsResponse:
    """A DRF view that does not keep its response. DRF leaves the response on the view
    (`view.response`), and the view and its request refer to each other, so the response and
    its body (a cached matrix is megabytes) would live on in that reference cycle until the
    cyclic garbage collector runs, which may be many requests later: under load, a server's
    memory grew by a third in 30 s. Without the view's reference, the body is freed as soon as
    the server has sent it."""

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        self.response = None
        return response


class IsStaffOrReadOnly(permissions.DjangoModelPermissions):
    """Anyone may read; creating, changing or deleting takes a staff account with the model's
    add, change or delete permission, as in the admin (the editor role; read-only staff may not)."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if not (request.user and request.user.is_authenticated and request.user.is_staff):
            return False
        if getattr(view, "queryset", None) is None and type(view).get_queryset is GenericAPIView.get_queryset:
            return True  # no model behind the view: it takes no writes, and answers 405
        return super().has_permission(request, view)


class ApiSearchFilter(SearchFilter):
    """DRF's search, with a bad term reported under `search` like every other parameter,
    and bounded: each term is a LIKE over several columns, so a long query is refused
    with 400 rather than building a query the database cannot plan."""

    max_terms = 10
    max_length = 200

    def get_search_terms(self, request):
        if len(request.query_params.get(self.search_param, "")) > self.max_length:
            raise ValidationError({self.search_param: [f"Search text is limited to {self.max_length} characters."]})
        try:
            terms = super().get_search_terms(request)
        except ValidationError as error:
            raise ValidationError({self.search_param: error.detail}) from error
        if len(terms) > self.max_terms:
            raise ValidationError({self.search_param: [f"Search with at most {self.max_terms} words."]})
        return terms


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


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Other records refer to this one; change or delete them first."
    default_code = "conflict"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record has changed since the version named in If-Match."
    default_code = "precondition_failed"


class EditConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The record has changed since the `updated_at` sent."
    default_code = "edit_conflict"


class ApiPagination(PageNumberPagination):
    """`?page=n&page_size=m` (at most 500). A page past the last one is empty, not an error,
    so a saved link keeps working while the data shrinks."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_number(self, request, paginator):
        number = super().get_page_number(request, paginator)
        if isinstance(number, int):  # "last"
            return number
        if not re.fullmatch(r"[0-9]{1,9}", str(number)) or int(number) < 1:
            raise ValidationError({self.page_query_param: ["A page is a whole number from 1, or `last`."]})
        return int(number)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        number = self.get_page_number(request, paginator)
        self.past_the_end = number > paginator.num_pages
        self.page = paginator.page(min(number, paginator.num_pages))
        return [] if self.past_the_end else list(self.page)

    def get_next_link(self):
        return None if self.past_the_end else super().get_next_link()

    def get_previous_link(self):
        if not self.past_the_end:
            return super().get_previous_link()
        url, last = self.request.build_absolute_uri(), self.page.paginator.num_pages
        return (
            remove_query_param(url, self.page_query_param)
            if last == 1
            else replace_query_param(url, self.page_query_param, last)
        )

    def get_paginated_response(self, data, attribution: list[str] | None = None):
        return Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "attribution": attribution or [],
                "citation": api_citation(self.request, attribution or []),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = ["count", "next", "previous", "attribution", "citation", "results"]
        paginated["properties"]["attribution"] = {
            "type": "array",
            "items": {"type": "string"},
            "description": "Where the data come from and under which licences; keep it with the data.",
        }
        paginated["properties"]["citation"] = {"$ref": "#/components/schemas/Citation"}
        return paginated


class ApiAutoSchema(AutoSchema):
    """Documents the error responses every operation can give, and CSV bodies as text."""

    def error_responses(self) -> dict[str, OpenApiResponse]:
        errors = {
            "400": OpenApiResponse(
                ValidationErrorSerializer,
                "Invalid input: a malformed parameter or filter value, or an invalid payload. "
                "Messages are keyed by parameter or field name.",
            ),
            "401": OpenApiResponse(
                ErrorSerializer,
                "Not authenticated: a write without credentials, or an invalid token.",
            ),
            "404": OpenApiResponse(ErrorSerializer, "Not found: no such object, or an unknown `format`."),
        }
        if getattr(self.view, "throttle_classes", None):
            errors["429"] = OpenApiResponse(
                ErrorSerializer, "Too many requests from this client; the Retry-After header says when to retry."
            )
        if self.method in WRITE_METHODS:
            errors["403"] = OpenApiResponse(ErrorSerializer, "Forbidden: writes need a staff account.")
        if self.method == "DELETE":
            errors["409"] = OpenApiResponse(
                ErrorSerializer, "Conflict: other records refer to this one (e.g. a city's memberships)."
            )
        if self.version_checked_action() in ("update", "partial_update", "destroy"):
            errors["412"] = OpenApiResponse(
                EditConflictSerializer,
                "Precondition failed: the record was saved after the version named in If-Match; nothing "
                "was saved. Read it again and redo the change on what it is now.",
            )
        if self.version_checked_action() in ("update", "partial_update"):
            errors["409"] = OpenApiResponse(
                EditConflictSerializer,
                "Conflict: the record was saved after the `updated_at` sent in the body; nothing was "
                "saved. Read it again and redo the change on what it is now.",
            )
        return errors

    def version_checked_action(self) -> str | None:
        """The viewset action, on a resource whose writes can name the version they change."""
        return self.view.action if isinstance(self.view, VersionCheckedViewSet) else None

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        action = self.version_checked_action()
        if action in ("update", "partial_update", "destroy"):
            parameters = [*parameters, IF_MATCH]
        if action in ("create", "retrieve", "update", "partial_update"):
            parameters = [*parameters, ETAG]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self.error_responses().items():
            responses.setdefault(code, self._get_response_for_code(response, code, direction=direction))
        for response in responses.values():
            if "text/csv" in response.get("content", {}):
                response["content"]["text/csv"] = {
                    "schema": {"type": "string", "description": "CSV: `#` comment lines, a header row, rows."}
                }
        return responses


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag of the record as you read it: the change or delete is made only if nobody has "
    "saved the record since, else 412. Leave it out to write unconditionally.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    response=[200, 201],
    description="The record's version (its id and `updated_at`); send it back in If-Match when changing "
    "or deleting the record.",
)


def api_citation(request, attribution: list[str]) -> dict:
    """How to cite this response (networks.citations): its permalink, today's date, the newest
    release, and its attribution lines as the original sources. One query."""
    return citation_for(request.build_absolute_uri(), attribution)


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


CODING_NOTE = (
    "Codings: salience (0-3) and outcome are the named coder's reading of the evidence, which "
    "cites its source; for the study's data that coder is Citynet's seed coding, not the study's authors."
)


def count_by(queryset: QuerySet, path: str, dimension: str) -> list[dict]:
    """Rows of `queryset` counted by the value at `path` (a field, or one of the queryset's
    annotations, e.g. the evidence kind a reader is shown), as `facet_counts` wants them."""
    if path in queryset.query.annotations:
        rows = queryset.order_by().values(path).annotate(count=Count("pk"))
    else:
        rows = (
            queryset.model.objects.filter(pk__in=queryset.values("pk"))
            .values(path)
            .annotate(count=Count("pk"))
            .order_by()
        )
    return aggregates.facet_counts(({dimension: row[path], "count": row["count"]} for row in rows), dimension)


# The base viewset: lists (JSON pages, CSV in full), writes through full_clean, facets.


class ApiViewSet(LetsGoOfItsResponse, viewsets.ModelViewSet):
    """Base of every resource. Subclasses set `serializer_class`, `filterset_class`,
    `search_fields`, `get_queryset()` (a named queryset method), and what the attribution
    says: `place_data` (rows carry GeoNames place data), `attribution_note`,
    `attribution_sources(queryset)` (source ids whose studies to cite)."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    permission_classes = [IsStaffOrReadOnly]
    pagination_class = ApiPagination
    filter_backends = [DjangoFilterBackend, ApiSearchFilter]
    schema = ApiAutoSchema()
    lookup_value_regex = ID_PATTERN
    resource = ""
    place_data = True
    attribution_note = ""
    facet_dimensions: dict[str, str] = {}

    def attribution_sources(self, queryset: QuerySet) -> QuerySet | None:
        return None

    def attribution(self, queryset: QuerySet) -> list[str]:
        lines = [GEONAMES_ATTRIBUTION] if self.place_data else []
        lines += studies_attribution(self.attribution_sources(queryset))
        return lines + ([self.attribution_note] if self.attribution_note else [])

    def wants_csv(self) -> bool:
        return getattr(self.request.accepted_renderer, "format", None) == "csv"

    # Whether JSON pages of the list may be kept in networks.caching while the data are
    # unchanged: True where a page is the same for every reader; PUBLIC_READERS where it
    # shows evidence, whose text depends on the reader (kept for, and given to, readers who
    # may not see restricted evidence only); False: never.
    cache_pages: bool | str = False

    def list(self, request, *args, **kwargs):
        if self.cache_pages and getattr(request.accepted_renderer, "format", None) == "json":
            cached = cached_for_public_readers if self.cache_pages == PUBLIC_READERS else cached_response
            return cached(request, self.rendered_list, variant=request.accepted_media_type)
        return self.list_response()

    def list_response(self) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        if self.wants_csv():
            return self.csv_download(queryset)
        page = self.paginate_queryset(queryset)
        return self.paginator.get_paginated_response(self.page_data(page), attribution=self.attribution(queryset))

    def rendered_list(self) -> HttpResponse:
        """The JSON list response, rendered (what networks.caching keeps)."""
        response = self.list_response()
        renderer = self.request.accepted_renderer
        body = renderer.render(response.data, self.request.accepted_media_type, self.get_renderer_context())
        return HttpResponse(body, content_type=renderer.media_type, status=response.status_code)

    def page_data(self, page: list) -> list[dict]:
        """One page of the list as the serializer represents it."""
        return self.get_serializer(page, many=True).data

    def csv_columns(self, serializer) -> list[str]:
        return [name for name, field in serializer.fields.items() if not field.write_only]

    def csv_row(self, data: dict) -> dict:
        return data

    def csv_download(self, queryset: QuerySet):
        serializer = self.get_serializer()
        rows = (self.csv_row(serializer.to_representation(item)) for item in queryset.iterator(chunk_size=1000))
        comments = attribution_lines(self.resource, self.request.build_absolute_uri(), self.attribution(queryset))
        return csv_response(rows, columns=self.csv_columns(serializer), comments=comments, filename=self.resource)

    def perform_create(self, serializer):
        self.save_checked(serializer)

    def perform_update(self, serializer):
        self.save_checked(serializer)

    def save_checked(self, serializer) -> None:
        try:
            with transaction.atomic():
                instance = serializer.save()
        except IntegrityError as error:
            # A concurrent write can still break a constraint full_clean() just checked.
            raise ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: ["This conflicts with data saved meanwhile; reload and retry."]}
            ) from error
        # Answer with what a read returns (annotations and related names included).
        serializer.instance = self.get_queryset().get(pk=instance.pk)

    def perform_destroy(self, instance):
        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError as error:
            kinds = sorted({str(obj._meta.verbose_name_plural) for obj in error.protected_objects})
            raise Conflict(
                f"Other records refer to this one ({', '.join(kinds)}); change or delete them first."
            ) from error

    @action(detail=False, methods=["get"])
    def facets(self, request, *args, **kwargs):
        """Counts of the filtered list (the same filters as the list) by one dimension."""
        query = FacetQuerySerializer(data=request.query_params, context={"dimensions": self.facet_dimensions})
        query.is_valid(raise_exception=True)
        dimension = query.validated_data["dimension"]
        queryset = self.filter_queryset(self.get_queryset())
        facets = count_by(queryset, self.facet_dimensions[dimension], dimension)
        attribution = self.attribution(queryset)
        if self.wants_csv():
            rows = ({"dimension": dimension, **facet} for facet in facets)
            comments = attribution_lines(f"{self.resource} by {dimension}", request.build_absolute_uri(), attribution)
            return csv_response(
                rows, columns=["dimension", "value", "count"], comments=comments, filename=f"{self.resource}-facets"
            )
        total = sum(facet["count"] for facet in facets)
        return Response(
            {
                "resource": self.resource,
                "dimension": dimension,
                "total": total,
                "facets": facets,
                "attribution": attribution,
                "citation": api_citation(request, attribution),
            }
        )


class VersionCheckedViewSet(ApiViewSet):
    """A resource whose changes can name the version they are based on, so that a second
    editor is told the record changed meanwhile instead of overwriting it (networks.concurrency).

    Reading one record, creating or changing it answers with its version in `ETag`. A change
    or delete that sends it back in `If-Match` is refused with 412 if the record has been saved
    since; a change may instead send back the `updated_at` it read, refused with 409. The check
    and the save are one transaction that starts by claiming the row (`concurrency.claim`). A
    write naming no version is made unconditionally, as before."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return Response(self.get_serializer(instance).data, headers={"ETag": self.etag(instance)})

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.validated_data.pop("updated_at", None)  # a new record has no version to check
        self.perform_create(serializer)
        headers = {**self.get_success_headers(serializer.data), "ETag": self.etag(serializer.instance)}
        return Response(serializer.data, status=status.HTTP_201_CREATED, headers=headers)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        if_match = self.check_if_match(request, instance)  # before the body is read, as HTTP asks
        serializer = self.get_serializer(instance, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        based_on = serializer.validated_data.pop("updated_at", None)
        if based_on is not None and based_on != instance.updated_at:
            raise self.refusal(EditConflict, instance)
        refusal = PreconditionFailed if if_match else EditConflict if based_on is not None else None
        with transaction.atomic():
            if refusal is not None:
                self.claim(instance, refusal)
            self.perform_update(serializer)
        return Response(serializer.data, headers={"ETag": self.etag(serializer.instance)})

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        if_match = self.check_if_match(request, instance)
        with transaction.atomic():
            if if_match:
                self.claim(instance, PreconditionFailed)
            self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def etag(instance) -> str:
        return concurrency.etag(instance.pk, instance.updated_at)

    def check_if_match(self, request, instance) -> bool:
        """Whether If-Match names a version (not `*`); 412 if none of those it names is the record's."""
        header = request.headers.get("If-Match")
        if header is None or parse_etags(header) == ["*"]:
            return False
        if self.etag(instance) not in parse_etags(header):
            raise self.refusal(PreconditionFailed, instance)
        return True

    def claim(self, instance, refusal: type[APIException]) -> None:
        try:
            concurrency.claim(type(instance), instance.pk, instance.updated_at)
        except concurrency.EditConflict:
            raise self.refusal(refusal, instance) from None

    @staticmethod
    def refusal(exception: type[APIException], instance) -> APIException:
        """The 412 or 409 naming who saved the record since and its version now (404 if it is gone)."""
        change = concurrency.latest_change(type(instance), instance.pk)
        if change is None:
            return NotFound()
        send = "the new ETag in If-Match" if exception is PreconditionFailed else "the new updated_at"
        message = concurrency.conflict_message(type(instance), change, since="read it")
        return exception(
            {
                "detail": f"{message} Nothing was saved: read it again, redo your change on what it is now "
                f"and send it with {send}.",
                "current_etag": concurrency.etag(instance.pk, change.updated_at),
                "current_updated_at": DATETIME.to_representation(change.updated_at),
            }
        )


class FacetQuerySerializer(serializers.Serializer):
    dimension = serializers.CharField()

    def validate_dimension(self, value: str) -> str:
        if value not in self.context["dimensions"]:
            raise serializers.ValidationError(f"Choose one of: {', '.join(self.context['dimensions'])}.")
        return value


def resource_schema(plural: str, singular: str, key: str):
    """Summaries of a resource's operations, and its facets' `dimension` parameter."""

    def decorate(viewset):
        dimension = OpenApiParameter(
            "dimension",
            OpenApiTypes.STR,
            required=True,
            enum=list(viewset.facet_dimensions),
            description="What to count the filtered list by.",
        )
        return extend_schema_view(
            list=extend_schema(
                summary=f"List {plural}",
                description=f"{plural.capitalize()}, filtered and sorted by the query parameters; "
                "paginated in JSON, complete in CSV.",
            ),
            retrieve=extend_schema(summary=f"Get a {singular} by its {key}"),
            create=extend_schema(summary=f"Create a {singular} (staff)"),
            update=extend_schema(summary=f"Replace a {singular} (staff)"),
            partial_update=extend_schema(summary=f"Change some fields of a {singular} (staff)"),
            destroy=extend_schema(summary=f"Delete a {singular} (staff)"),
            facets=extend_schema(
                summary=f"Count {plural} by a dimension",
                description=f"Counts of the {plural} list, filtered by the same parameters as the list, "
                "by one dimension.",
                parameters=[dimension],
                responses=FacetsSerializer,
                filters=True,
            ),
        )(viewset)

    return decorate


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
DATETIME = serializers.DateTimeField()


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


class MatrixView(LetsGoOfItsResponse, GenericAPIView):
    """The study's central table as data: for one network (or all), the city × code matrix.

    Each cell gives the salience (0-3), the outcome, the evidence count and the evidence
    itself (id, quote or paraphrase, citation); a cell is null where the code was not
    applied. Each cell's `agreement` marks it single-coded, or coded by several coders who
    agree (same salience and outcome) or disagree. In CSV, one row per filled cell."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    permission_classes = [IsStaffOrReadOnly]
    pagination_class = None
    filter_backends: list = []
    schema = ApiAutoSchema()

    @extend_schema(
        summary="The city × code comparison matrix",
        parameters=[MatrixQuerySerializer],
        responses=MatrixSerializer,
        tags=["matrix"],
    )
    def get(self, request):
        query = MatrixQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        network, cities = query.validated_data.get("network"), query.validated_data.get("city", [])
        renderer = request.accepted_renderer
        if getattr(renderer, "format", None) == "json":
            # Rendered once and reused while the data are unchanged (networks.caching): the
            # matrix of a 10,000-member network takes seconds to build and is ~30 MB of JSON.
            def build() -> HttpResponse:
                body = renderer.render(
                    self.matrix_data(request, network, cities), request.accepted_media_type, self.get_renderer_context()
                )
                return HttpResponse(body, content_type=renderer.media_type)

            return cached_for_public_readers(request, build, variant=request.accepted_media_type)
        if getattr(renderer, "format", None) == "csv":
            matrix, attribution = self.matrix(request, network, cities)
            comments = attribution_lines("comparison matrix", request.build_absolute_uri(), attribution)
            rows = aggregates.matrix_flat_rows(matrix)
            return csv_response(rows, columns=MATRIX_COLUMNS, comments=comments, filename="matrix")
        return Response(self.matrix_data(request, network, cities))

    def matrix(self, request, network: Network | None, cities: list[str]) -> tuple[dict, list[str]]:
        """The matrix with agreement marks, with evidence as the request's user may see it, and
        its attribution lines."""
        codings = Coding.objects.for_matrix_rows(network, cities).values("pk")
        attribution = [GEONAMES_ATTRIBUTION, *studies_attribution(evidence_sources(codings)), CODING_NOTE]
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


class AgreementView(LetsGoOfItsResponse, GenericAPIView):
    """Inter-coder agreement among the codings of one network (or all): Cohen's kappa and
    Krippendorff's alpha overall and per code, for presence and salience, and every unit
    where coders differ with their codings side by side (definitions: networks/agreement.py).
    In CSV, one row per code."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    permission_classes = [IsStaffOrReadOnly]
    pagination_class = None
    filter_backends: list = []
    schema = ApiAutoSchema()

    @extend_schema(
        summary="Agreement between coders",
        parameters=[AgreementQuerySerializer],
        responses=AgreementSerializer,
        tags=["agreement"],
    )
    def get(self, request):
        query = AgreementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        network = query.validated_data.get("network")
        codings = Coding.objects.for_agreement(network, reader=request.user)
        columns = aggregates.code_columns(Code.objects.current())
        summary = agreement.agreement_summary(
            agreement.coding_rows(codings), codes=[column["code"] for column in columns]
        )
        attribution = [GEONAMES_ATTRIBUTION, *studies_attribution(evidence_sources(codings)), CODING_NOTE]
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


class ApiRootView(APIRootView):
    """Citynet API v1. Reads are open; writes need a staff account. Add `?format=csv` to any
    list or aggregate for a complete CSV download. The OpenAPI schema is at /api/v1/schema/,
    with interactive documentation at /api/v1/docs/ and /api/v1/redoc/."""

    permission_classes = [permissions.AllowAny]


class ApiRouter(DefaultRouter):
    """A DefaultRouter whose browsable root is open to all and also links the aggregates and docs."""

    APIRootView = ApiRootView
    include_format_suffixes = False
    extra_links = {
        "matrix": "matrix",
        "agreement": "agreement",
        "schema": "schema",
        "docs": "docs",
        "redoc": "redoc",
    }

    def get_api_root_view(self, api_urls=None):
        links = {prefix: self.routes[0].name.format(basename=basename) for prefix, _, basename in self.registry}
        links.update(self.extra_links)
        return self.APIRootView.as_view(api_root_dict=links)


# drf-spectacular's Redoc page links Google Fonts; without them it works offline (system fonts).
OFFLINE_REDOC = """{% extends "drf_spectacular/redoc.html" %}{% block head %}
<title>{{ title|default:"Redoc" }}</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
{% endblock head %}"""


class OfflineRedocView(SpectacularRedocView):
    """Redoc served entirely from this site (the sidecar's bundle, no web fonts)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        data = super().get(request, *args, **kwargs).data
        return HttpResponse(engines["django"].from_string(OFFLINE_REDOC).render(data, request))


@csrf_exempt  # it changes nothing; without this a stray POST would get Django's HTML 403
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Any other address under /api/v1/ (e.g. a malformed id): the API's JSON 404, not an HTML page."""
    return JsonResponse({"detail": "Not found."}, status=404)
