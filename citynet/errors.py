"""The API's error bodies: DRF's, with a machine-readable `code` beside the message.

`{"detail": "Not found."}` becomes `{"detail": "Not found.", "code": "not_found"}`; the code is
the exception's (DRF's `default_code`, or the one it was raised with): `not_found`,
`permission_denied`, `not_authenticated`, `authentication_failed`, `throttled`, `parse_error`,
`method_not_allowed`, `not_acceptable`, `unsupported_media_type`, and Citynet's own
`conflict`, `edit_conflict`, `precondition_failed` (citynet/api.py). Validation errors (400s keyed by
field or parameter) keep their shape: clients read their keys."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]: DRF's handler, then the code added."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None or isinstance(exc, exceptions.ValidationError):
        return response
    data = response.data
    if isinstance(data, dict) and "detail" in data and "code" not in data:
        response.data = {**data, "code": error_code(exc)}
    return response


def error_code(exc: exceptions.APIException) -> str:
    """The code of the exception's `detail` (the code it was raised with), else its default."""
    codes = exc.get_codes()
    if isinstance(codes, dict):
        codes = codes.get("detail")
    return codes if isinstance(codes, str) else exc.default_code
