"""How the API describes itself (OpenAPI, by drf-spectacular): `ApiAutoSchema` documents the
error responses every operation can give, CSV bodies as text, optional credentials on reads,
typed ids, bounded filters and whole pages as examples; `add_links` (a postprocessing hook)
links a created object to its read, change and delete."""

from __future__ import annotations

import re

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_examples_list
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.utils import OpenApiResponse
from rest_framework.filters import SearchFilter

from citynet.api import ID_PATTERN
from citynet.api import WRITE_METHODS
from networks.api.shapes import EditConflictSerializer
from networks.api.shapes import ErrorSerializer
from networks.api.shapes import ValidationErrorSerializer

READ_METHODS = ("GET", "HEAD")
# An id in a path: what the lookup's pattern ([0-9]{1,18}) lets through, from 1 (there is no id 0).
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}
MAX_PAGE = 999_999_999
EMPTY_VALUE = {"type": "string", "maxLength": 0}  # nine digits, as ApiPagination.whole_page_number reads a page number


def optional_on_reads(auths: list[dict], method: str) -> list[dict]:
    """Everyone may read: on a read, credentials are optional (the empty requirement comes
    first); a write keeps requiring them."""
    if method.upper() in READ_METHODS and {} not in auths:
        return [{}, *auths]
    return auths


def typed_path_parameters(parameters: list[dict]) -> list[dict]:
    """A path id is a whole number from 1, not just a string of digits."""
    for parameter in parameters:
        if parameter["schema"].get("pattern") == f"^{ID_PATTERN}$":
            parameter["schema"] = dict(ID_SCHEMA)
    return parameters


def constrained_filter_parameters(view, parameters: list[dict]) -> list[dict]:
    """The bounds the filters' own schemas cannot carry: how many values a list of values
    takes (a filter's `array_schema`, networks.filters), and how long a search may be."""
    filterset = getattr(view, "filterset_class", None)
    declared = filterset.base_filters if filterset is not None else {}
    searches = {
        backend.search_param: backend
        for backend in getattr(view, "filter_backends", [])
        if issubclass(backend, SearchFilter)
    }
    for parameter in parameters:
        name, schema = parameter["name"], parameter["schema"]
        if schema.get("type") == "array":
            schema.update(getattr(declared.get(name), "array_schema", {}))
            items = schema.get("items", {})
            if "enum" in items and "" not in items["enum"]:
                # An empty value in the list (`?ordering=,`, `?outcome=`) is no value.
                items["enum"] = [*items["enum"], ""]
        elif schema.get("type") not in (None, "string") or "format" in schema:
            # A filter left empty (`?member_on=`, as a form sends it) is no filter.
            parameter["schema"] = {"oneOf": [schema, EMPTY_VALUE]}
        if name in searches and hasattr(searches[name], "max_length"):
            schema.update(maxLength=searches[name].max_length, pattern="^[^\\x00]*$")
            words = getattr(searches[name], "max_terms", None)
            if words:
                parameter["description"] = (
                    f"Words to look for (at most {words} words, {searches[name].max_length} characters); "
                    "every word must match."
                )
    return parameters


def page_parameters(paginator) -> list[dict]:
    """`page` (a number from 1, or `last`), `page_size` (from 1; capped) and `cursor`."""
    return [
        {
            "name": paginator.page_query_param,
            "in": "query",
            "required": False,
            "description": "A page number from 1, or `last` (empty: the first). A page past the last one is empty.",
            "schema": {
                "oneOf": [
                    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                    {"type": "string", "enum": list(paginator.last_page_strings)},
                    EMPTY_VALUE,
                ]
            },
        },
        {
            "name": paginator.page_size_query_param,
            "in": "query",
            "required": False,
            "description": f"Results per page, from 1 (default, or empty: {paginator.page_size}); a size above "
            f"{paginator.max_page_size} is capped to {paginator.max_page_size}.",
            "schema": {"oneOf": [{"type": "integer", "minimum": 1}, EMPTY_VALUE]},
        },
        {
            "name": paginator.cursor_query_param,
            "in": "query",
            "required": False,
            "description": f"A cursor walk instead of page numbers: `{paginator.cursor_start}` starts it, each "
            "page's `next` goes on. The walk goes in the order records were made, so rows added meanwhile "
            "come once, at the end. `page` and `ordering` are left aside in a walk.",
            "schema": {
                "oneOf": [
                    {"type": "string", "enum": [paginator.cursor_start]},
                    {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
                ]
            },
        },
    ]


def whole_page_examples(examples: list, media_type: str, status_code: str | None) -> dict:
    """Examples of a list response as given: whole pages (drf-spectacular would wrap each in a
    page of its own, with placeholder counts and links)."""
    chosen = [
        example
        for example in examples
        if not example.request_only
        and (example.media_type or "application/json") == media_type
        and str(status_code) in tuple(map(str, example.status_codes or ("200",)))
    ]
    return build_examples_list(chosen)


# Links: a created object leads to its read, change and delete (and a detail's own actions).

DETAIL = re.compile(r"\{(\w+)\}/")


def add_links(result: dict, generator, request, public) -> dict:
    """Each create's 201 links to the operations on the object it made, by the key in its body
    (`slug`, `code` or `id`) and, where the answer has one, its `ETag` as `If-Match`; so clients
    and stateful tests can follow a create to the object's read, change and delete."""
    paths = result["paths"]
    schemas = result.get("components", {}).get("schemas", {})
    for path, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        if created is None:
            continue
        body = created.get("content", {}).get("application/json", {}).get("schema", {})
        properties = schemas.get(body.get("$ref", "").rsplit("/", 1)[-1], {}).get("properties", {})
        prefix = operations["post"]["operationId"].removesuffix("create")
        links = {}
        for detail, detail_operations in paths.items():
            match = DETAIL.match(detail.removeprefix(path)) if detail.startswith(path) else None
            if match is None or match.group(1) not in properties:
                continue
            key = match.group(1)
            for operation in detail_operations.values():
                parameters = {key: f"$response.body#/{key}"}
                takes_if_match = any(parameter["name"] == "If-Match" for parameter in operation.get("parameters", []))
                if takes_if_match and "ETag" in created.get("headers", {}):
                    parameters["header.If-Match"] = "$response.header.ETag"
                links[operation["operationId"].removeprefix(prefix)] = {
                    "operationId": operation["operationId"],
                    "parameters": parameters,
                    "description": f"The `{key}` in the body addresses the object created.",
                }
        if links:
            created["links"] = links
    return result


class ApiAutoSchema(AutoSchema):
    """Documents the error responses every operation can give, CSV bodies as text, optional
    credentials on reads, typed ids, bounded filters and whole pages as examples."""

    def error_responses(self) -> dict[str, OpenApiResponse]:
        errors = {
            "400": OpenApiResponse(
                ValidationErrorSerializer,
                "Invalid input: "
                + ("an unknown query parameter (its message lists those accepted), " if self.method == "GET" else "")
                + "a malformed parameter or filter value, or an invalid payload. "
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
        if self.method in ("POST", "PUT", "PATCH"):
            errors["413"] = OpenApiResponse(ErrorSerializer, "Request body too large: the API takes at most 2.5 MB.")
            errors["415"] = OpenApiResponse(
                ErrorSerializer, "Unsupported media type: send JSON, with `Content-Type: application/json`."
            )
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

    def get_auth(self):
        return optional_on_reads(super().get_auth(), self.method)

    def _resolve_path_parameters(self, variables):
        return typed_path_parameters(super()._resolve_path_parameters(variables))

    def _get_filter_parameters(self):
        return constrained_filter_parameters(self.view, super()._get_filter_parameters())

    def _get_examples(self, serializer, direction, media_type, status_code=None, extras=None):
        if direction == "response" and self._is_list_view(serializer) and self._get_paginator():
            return whole_page_examples(self.get_examples(), media_type, status_code)
        return super()._get_examples(serializer, direction, media_type, status_code, extras)

    def version_checked_action(self) -> str | None:
        """The viewset action, on a resource whose writes can name the version they change."""
        return self.view.action if getattr(self.view, "version_checked", False) else None

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
