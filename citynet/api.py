"""Plumbing of the REST API that does not depend on what it serves: who may write, bounded
search, the error responses, the JSON 404 and the offline Redoc page."""

from __future__ import annotations

from django.http import HttpResponse
from django.http import JsonResponse
from django.template import engines
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView
from rest_framework import permissions
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.exceptions import NotAuthenticated
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.generics import GenericAPIView

SLUG_PATTERN = r"[-a-zA-Z0-9_]+"
ID_PATTERN = r"[0-9]{1,18}"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
READ_ONLY_METHODS = ["get", "head", "options"]


class FreesResponseAfterDispatch:
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


class ThrottlesRefusedRequests:
    """A DRF view whose throttles also count the requests it refuses. DRF checks throttles only
    after authentication and permissions pass, so a client guessing tokens, or writing without
    the right, could try as fast as it likes: each refusal (401 or 403) now counts against the
    client's rate (by address, as for any anonymous client), and past it the answer is 429."""

    def initial(self, request, *args, **kwargs):
        try:
            super().initial(request, *args, **kwargs)
        except (AuthenticationFailed, NotAuthenticated, PermissionDenied):
            self.check_throttles(request)
            raise


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
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
