"""The base of every resource of the REST API, version 1 (its pages: networks.api.pagination): the documented error
responses, lists (JSON pages, CSV in full), writes through full_clean, facets, and version-checked
writes.

Reads are open to everyone; writes need a staff account (session or `Authorization: Token`).
Lists are paginated in JSON and complete in CSV (streamed); every list and aggregate
names its sources and licences (`attribution`). The conventions as users read them are in
SPECTACULAR_SETTINGS["DESCRIPTION"] (citynet/settings.py)."""

from __future__ import annotations

import functools

from django.db import IntegrityError
from django.db import transaction
from django.db.models import Count
from django.db.models import ProtectedError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.cache import parse_etags
from django_filters import FilterSet
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.widgets import SuffixedMultiWidget
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.utils import extend_schema
from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers
from rest_framework import status
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.filters import SearchFilter
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from cities.geonames import GEONAMES_ATTRIBUTION
from citynet.api import ID_PATTERN
from citynet.api import ApiSearchFilter
from citynet.api import Conflict
from citynet.api import EditConflict
from citynet.api import FreesResponseAfterDispatch
from citynet.api import IsStaffOrReadOnly
from citynet.api import PreconditionFailed
from citynet.api import ThrottlesRefusedRequests
from citynet.caching import cached_response
from citynet.downloads import CSVRenderer
from citynet.downloads import csv_response
from citynet.versioned import PerDataVersion
from networks import aggregates
from networks import concurrency
from networks.api import fast
from networks.api.examples import EXAMPLES
from networks.api.pagination import ApiPagination
from networks.api.pagination import api_citation
from networks.api.schema import ApiAutoSchema
from networks.api.shapes import FacetsSerializer
from networks.research.citations import attribution_lines
from networks.selectors import studies_attribution
from networks.visibility import PUBLIC_READERS
from networks.visibility import cached_for_public_readers
from networks.visibility import can_see_restricted

DATETIME = serializers.DateTimeField()
# The studies each filtered list cites, per data version (ApiViewSet.studies_cited).
STUDIES_CITED = PerDataVersion()
# The rows each filtered list holds, per data version (ApiViewSet.list_count).
LIST_COUNTS = PerDataVersion()
# Query parameters that choose a page or a format of a list, not which rows it holds.
NOT_FILTERS = frozenset({"page", "page_size", "cursor", "dimension", api_settings.URL_FORMAT_OVERRIDE})


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


# Strict inputs: a query parameter nobody reads is a 400, not silently ignored.

FORMAT = api_settings.URL_FORMAT_OVERRIDE


def check_query_parameters(request, accepted: frozenset[str], *, one_page: bool = False) -> None:
    """400 naming each query parameter not in `accepted`, and listing those accepted: a
    misspelt filter (`?netwrok=`) must not quietly give every row. A view that is not
    paginated (`one_page`: an aggregate) takes `page=1` too, the one page it is, as a link
    made by adding `page=1` to any view (its citation's permalink leaves paging out) expects."""
    if one_page:
        accepted = accepted | {"page"}
    unknown = [name for name in request.query_params if name not in accepted]
    if unknown:
        message = f"Unknown parameter. Accepted: {', '.join(sorted(accepted))}."
        raise ValidationError({name: [message] for name in unknown})
    if one_page and request.query_params.get("page", "1") not in ("", "1"):
        raise ValidationError({"page": ["This is not paginated: its one page is 1."]})


@functools.cache
def filterset_parameters(filterset_class: type[FilterSet]) -> frozenset[str]:
    """The query parameters a filter set reads: its form's fields, a range under each suffixed
    name its widget reads (`observed_after`, `observed_before`). Built once per class, no query."""
    form = filterset_class(queryset=filterset_class._meta.model._default_manager.none()).form
    names = set()
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        if isinstance(field.widget, SuffixedMultiWidget):
            names.update(field.widget.suffixed(key, suffix) for suffix in field.widget.suffixes)
        else:
            names.add(key)
    return frozenset(names)


@functools.cache
def backend_parameters(view_class: type) -> frozenset[str]:
    """The query parameters a view's filter backends read: its filter set's, `search`, `ordering`."""
    names: set[str] = set()
    for backend in view_class.filter_backends:
        if issubclass(backend, DjangoFilterBackend) and getattr(view_class, "filterset_class", None):
            names |= filterset_parameters(view_class.filterset_class)
        if issubclass(backend, SearchFilter):
            names.add(backend.search_param)
        if issubclass(backend, OrderingFilter):
            names.add(backend.ordering_param)
    return frozenset(names)


@functools.cache
def serializer_parameters(serializer_class: type[serializers.Serializer]) -> frozenset[str]:
    """An aggregate's query parameters: its query serializer's fields, and `format`."""
    return frozenset({FORMAT, *serializer_class().fields})


# The base viewset: lists (JSON pages, CSV in full), writes through full_clean, facets.


class ApiViewSet(FreesResponseAfterDispatch, ThrottlesRefusedRequests, viewsets.ModelViewSet):
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
    # The query parameters of an action that is not paginated and takes none of the list's
    # (its filters, search, ordering, paging), besides `format`: `@action(..., query_parameters=())`.
    query_parameters: tuple[str, ...] | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            check_query_parameters(request, self.accepted_parameters(), one_page=self.query_parameters is not None)
            if self.action in ("list", "facets") and self.paginator is not None:
                self.paginator.check_query(request)

    def accepted_parameters(self) -> frozenset[str]:
        """What a read of this action may ask: the list's filters, search and ordering (a read
        of one object finds it in the filtered list), paging on the list and its facets, the
        facets' `dimension`, and `format`; or the action's own `query_parameters`."""
        if self.query_parameters is not None:
            return frozenset({FORMAT, *self.query_parameters})
        names = {FORMAT, *backend_parameters(type(self))}
        if self.action in ("list", "facets") and self.paginator is not None:
            names |= {
                self.paginator.page_query_param,
                self.paginator.page_size_query_param,
                self.paginator.cursor_query_param,
            }
        if self.action == "facets":
            names.add("dimension")
        return frozenset(names)

    def attribution_sources(self, queryset: QuerySet) -> QuerySet | None:
        return None

    def attribution(self, queryset: QuerySet) -> list[str]:
        lines = [GEONAMES_ATTRIBUTION] if self.place_data else []
        lines += self.studies_cited(queryset)
        return lines + ([self.attribution_note] if self.attribution_note else [])

    def studies_cited(self, queryset: QuerySet) -> list[str]:
        """The studies among (or reporting) the filtered list's sources. Every page of a list
        cites the same ones, so they are looked up once per data version for the list's filters
        (not its page, size, cursor or format) and kept (citynet.versioned): a client walking
        the pages pays that query on the first page only."""

        def compute() -> list[str]:
            return studies_attribution(self.attribution_sources(queryset))

        return STUDIES_CITED.get(self.request, self.filtered_list_key(), compute)

    def list_count(self, queryset: QuerySet) -> int:
        """How many rows the filtered list holds: the same on every page, so counted once per
        data version for the list's filters, as `studies_cited()` (on PostgreSQL the count of a
        large list cost more than reading its page)."""
        return LIST_COUNTS.get(self.request, self.filtered_list_key(), queryset.count)

    def filtered_list_key(self) -> tuple:
        """What a filtered list's rows depend on: the view, its filters (not the page, size,
        cursor or format) and whether the reader may see restricted evidence, which the
        search reads."""
        params = self.request.query_params
        filters = tuple(sorted((name, tuple(params.getlist(name))) for name in params if name not in NOT_FILTERS))
        reader = can_see_restricted(self.request.user)
        return (type(self), self.action, tuple(sorted(self.kwargs.items())), reader, filters)

    def wants_csv(self) -> bool:
        return getattr(self.request.accepted_renderer, "format", None) == "csv"

    # Whether JSON pages of the list may be kept in citynet.caching while the data are
    # unchanged: True where a page is the same for every reader; PUBLIC_READERS where it
    # shows evidence, whose text depends on the reader (kept for, and given to, readers who
    # may not see restricted evidence only); False: never.
    cache_pages: bool | str = False

    def list(self, request, *args, **kwargs):
        if self.cache_pages and getattr(request.accepted_renderer, "format", None) == "json":
            cached = cached_for_public_readers if self.cache_pages == PUBLIC_READERS else cached_response
            return cached(request, self.rendered_list, variant=request.accepted_media_type)
        return self.list_response()

    # Builds a page's rows from their ids as plain values (networks.api.fast), where the
    # serializer's `to_representation()` of model instances would cost most of the page's time.
    fast_rows: fast.RowsBuilder | None = None

    def list_response(self) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        if self.wants_csv():
            return self.csv_download(queryset)
        count = functools.partial(self.list_count, queryset)
        if self.fast_rows is not None and fast.available():
            data = self.fast_rows(self.paginator.page_ids(queryset, self.request, count), self.request.user)
        else:
            data = self.page_data(self.paginator.paginate_queryset(queryset, self.request, self, count))
        return self.paginator.get_paginated_response(data, attribution=self.attribution(queryset))

    def rendered_list(self) -> HttpResponse:
        """The JSON list response, rendered (what citynet.caching keeps)."""
        response = self.list_response()
        renderer = self.request.accepted_renderer
        body = fast.render_json(response.data, renderer, self.request.accepted_media_type, self.get_renderer_context())
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

    version_checked = True  # ApiAutoSchema documents If-Match, ETag, 409 and 412 for its writes

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
    """Summaries of a resource's operations, its facets' `dimension` parameter, and its examples
    (networks.api.examples.EXAMPLES, by resource)."""

    def decorate(viewset):
        examples = EXAMPLES.get(viewset.resource, {})
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
                examples=examples.get("list", []),
            ),
            retrieve=extend_schema(summary=f"Get a {singular} by its {key}"),
            create=extend_schema(summary=f"Create a {singular} (staff)", examples=examples.get("create", [])),
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
