"""The API's pages: `?page=n&page_size=m` or a cursor walk (`ApiPagination`), each page's rows
read in two steps (`page_rows`), and how to cite a response (`api_citation`)."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param
from rest_framework.utils.urls import replace_query_param

from networks.api.schema import page_parameters
from networks.research.citations import citation_for


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

    def paginate_queryset(self, queryset, request, view=None, count: Callable[[], int] | None = None):
        """The page's rows; `count()` gives the filtered list's row count (default: counts it)."""
        size = self.start(request)
        count = count or queryset.count
        if self.after is not None:
            self.count = count()
            rows = list(queryset.order_by("pk").filter(pk__gt=self.after)[: size + 1])
            self.next_after = rows[size - 1].pk if len(rows) > size else None
            return rows[:size]
        page_slice = self.numbered_page(queryset, size, count)
        return [] if self.past_the_end else page_rows(queryset, page_slice)

    def page_ids(self, queryset: QuerySet, request, count: Callable[[], int] | None = None) -> list[int]:
        """The ids of the page's rows, in the list's order, as `paginate_queryset()` pages
        (count, page number or cursor, links): for lists whose rows are then read as plain
        values (networks.api.fast)."""
        size = self.start(request)
        count = count or queryset.count
        if self.after is not None:
            self.count = count()
            ids = list(queryset.order_by("pk").filter(pk__gt=self.after).values_list("pk", flat=True)[: size + 1])
            self.next_after = ids[size - 1] if len(ids) > size else None
            return ids[:size]
        page_slice = self.numbered_page(queryset, size, count)
        return [] if self.past_the_end else list(page_slice.values_list("pk", flat=True))

    def start(self, request) -> int:
        """Read the page size and cursor asked for; returns the size."""
        self.request = request
        size = self.get_page_size(request)
        self.after = self.cursor_after(request)
        return size

    def numbered_page(self, queryset: QuerySet, size: int, count: Callable[[], int]) -> QuerySet:
        """The slice of `queryset` that the page asked for holds (the last one's past the end)."""
        paginator = self.django_paginator_class(queryset, size)
        paginator.count = count()  # instead of the paginator's own queryset.count()
        number = self.get_page_number(self.request, paginator)
        self.past_the_end = number > paginator.num_pages
        self.page = paginator.page(min(number, paginator.num_pages))
        self.count = paginator.count
        return self.page.object_list

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
