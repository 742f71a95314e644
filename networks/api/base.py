"""The base of every resource of the REST API, version 1: pagination, the documented error
responses, lists (JSON pages, CSV in full), writes through full_clean, facets, and version-checked
writes.

Reads are open to everyone; writes need a staff account (session or `Authorization: Token`).
Lists are paginated in JSON and complete in CSV (streamed); every list and aggregate
names its sources and licences (`attribution`). The conventions as users read them are in
SPECTACULAR_SETTINGS["DESCRIPTION"] (citynet/settings.py)."""

from __future__ import annotations

import functools
import re

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
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param
from rest_framework.utils.urls import replace_query_param

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
from networks.api.examples import EXAMPLES
from networks.api.schema import ApiAutoSchema
from networks.api.schema import page_parameters
from networks.api.shapes import FacetsSerializer
from networks.research.citations import attribution_lines
from networks.research.citations import citation_for
from networks.selectors import studies_attribution
from networks.visibility import PUBLIC_READERS
from networks.visibility import cached_for_public_readers
from networks.visibility import can_see_restricted

DATETIME = serializers.DateTimeField()
# The studies each filtered list cites, per data version (ApiViewSet.studies_cited).
STUDIES_CITED = PerDataVersion()
# Query parameters that choose a page or a format of a list, not which rows it holds.
NOT_FILTERS = frozenset({"page", "page_size", "cursor", "dimension", api_settings.URL_FORMAT_OVERRIDE})


class ApiPagination(PageNumberPagination):
    """`?page=n&page_size=m` (m capped at 500). A page past the last one is empty, not an error,
    so a saved link keeps working while the data shrink.

    Or a cursor walk, for clients that fetch a whole list page by page while it may change:
    `?cursor=*` starts it, and each page's `next` continues it (`cursor=<id>`: the rows after
    that id). A walk goes in the order records were made (by id), whatever the list's usual
    order, so a row added meanwhile comes once, at the end, and none is seen twice or skipped
    because rows before it were added or removed. `previous` is null in a walk; `page` and
    `ordering`, if given, are left aside."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    cursor_query_param = "cursor"
    cursor_start = "*"

    def get_page_number(self, request, paginator):
        number = super().get_page_number(request, paginator)
        if isinstance(number, int):  # "last"
            return number
        return self.whole_page_number(number)

    def whole_page_number(self, number) -> int:
        if not re.fullmatch(r"[0-9]{1,9}", str(number)) or int(number) < 1:
            raise ValidationError({self.page_query_param: ["A page is a whole number from 1, or `last`."]})
        return int(number)

    def get_page_size(self, request) -> int:
        """The page size asked for (empty or left out: 50); a larger one than 500 is capped, a
        malformed one (`0`, `-1`, `abc`) is a 400 naming the range."""
        value = request.query_params.get(self.page_size_query_param, "")
        if value == "":
            return self.page_size
        digits = value.lstrip("0")
        if not re.fullmatch(r"[0-9]+", value) or not digits:
            message = f"A page size is a whole number from 1 to {self.max_page_size} (a larger one is capped)."
            raise ValidationError({self.page_size_query_param: [message]})
        return self.max_page_size if len(digits) > 9 else min(int(digits), self.max_page_size)

    def cursor_after(self, request) -> int | None:
        """Where a cursor walk goes on from: 0 at its start, the id of the last row seen after;
        None when no walk is asked for; 400 for anything else. In a walk, `page` and `ordering`
        are left aside (it goes by id, and has no page numbers)."""
        value = request.query_params.get(self.cursor_query_param)
        if value is None:
            return None
        if value == self.cursor_start:
            return 0
        if not re.fullmatch(r"[0-9]{1,18}", value):
            message = f"A cursor is `{self.cursor_start}` (to start a walk) or the one in the last page's `next`."
            raise ValidationError({self.cursor_query_param: [message]})
        return int(value)

    def check_query(self, request) -> None:
        """400 for a malformed page, page size or cursor, before any query: also where none is
        used (CSV, facets), so a parameter is well-formed or refused wherever it is accepted."""
        self.get_page_size(request)
        self.cursor_after(request)
        number = request.query_params.get(self.page_query_param) or 1
        if number not in self.last_page_strings:
            self.whole_page_number(number)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        self.after = self.cursor_after(request)
        if self.after is not None:
            self.count = queryset.count()
            rows = list(queryset.order_by("pk").filter(pk__gt=self.after)[: size + 1])
            self.next_after = rows[size - 1].pk if len(rows) > size else None
            return rows[:size]
        paginator = self.django_paginator_class(queryset, size)
        number = self.get_page_number(request, paginator)
        self.past_the_end = number > paginator.num_pages
        self.page = paginator.page(min(number, paginator.num_pages))
        self.count = paginator.count
        return [] if self.past_the_end else page_rows(queryset, self.page.object_list)

    def get_next_link(self):
        if self.after is not None:
            if self.next_after is None:
                return None
            return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, self.next_after)
        return None if self.past_the_end else super().get_next_link()

    def get_previous_link(self):
        if self.after is not None:
            return None
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
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "attribution": attribution or [],
                "citation": api_citation(self.request, attribution or []),
                "results": data,
            }
        )

    def get_schema_operation_parameters(self, view):
        return page_parameters(self)

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


def page_rows(queryset, page_slice) -> list:
    """The rows of one page, in two steps: the page's ids (the database sorts and skips narrow
    rows: ids and the sort keys), then those rows with their joins, annotations and prefetches.
    Sorting the wide joined rows of every earlier page cost most of a late page's time (a
    "deferred join"); the second query reads only the rows shown."""
    if not isinstance(page_slice, QuerySet):
        return list(page_slice)
    ids = list(page_slice.values_list("pk", flat=True))
    if not ids:
        return []
    rows = {row.pk: row for row in queryset.filter(pk__in=ids).order_by()}
    return [rows[pk] for pk in ids if pk in rows]


def api_citation(request, attribution: list[str]) -> dict:
    """How to cite this response (networks.research.citations): its permalink, today's date, the newest
    release, and its attribution lines as the original sources. No query while the data
    version is unchanged (networks.research.citations.newest_release)."""
    return citation_for(request.build_absolute_uri(), attribution, request)


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
        params = self.request.query_params
        filters = tuple(sorted((name, tuple(params.getlist(name))) for name in params if name not in NOT_FILTERS))
        reader = can_see_restricted(self.request.user)
        key = (type(self), self.action, tuple(sorted(self.kwargs.items())), reader, filters)
        return STUDIES_CITED.get(self.request, key, lambda: studies_attribution(self.attribution_sources(queryset)))

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

    def list_response(self) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        if self.wants_csv():
            return self.csv_download(queryset)
        page = self.paginate_queryset(queryset)
        return self.paginator.get_paginated_response(self.page_data(page), attribution=self.attribution(queryset))

    def rendered_list(self) -> HttpResponse:
        """The JSON list response, rendered (what citynet.caching keeps)."""
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
