"""The https redirect that keeps a write a write; the Content Security Policy, with the one
exception the API docs need; the API's JSON answers
to requests its views never see (an address without its slash, a body too large); the headers
of every API answer (rate limits, Vary, Cache-Control); and the
pieces of the failed-login lockout (django-axes): the client address it counts by and the page
it shows."""

import json

from axes.helpers import get_cool_off
from csp.constants import SELF
from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import TooManyFieldsSent
from django.core.exceptions import TooManyFilesSent
from django.http import HttpResponse
from django.http import HttpResponsePermanentRedirect
from django.http import JsonResponse
from django.middleware.security import SecurityMiddleware as DjangoSecurityMiddleware
from django.shortcuts import render
from django.urls import is_valid_path
from django.utils.cache import patch_vary_headers
from django.utils.http import escape_leading_slashes
from rest_framework.throttling import BaseThrottle

from citynet.api import not_found
from citynet.throttling import RATE_LIMITS
from citynet.throttling import tightest

# Swagger UI and Redoc (drf-spectacular's templates) start with an inline script and style
# their pages inline; Redoc also parses the schema in a worker made from a blob: URL. Both
# pages show only the schema, never data that users entered.
API_DOCS_VIEWS = {"api:docs", "api:redoc"}
API_DOCS_POLICY = {
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
    "worker-src": [SELF, "blob:"],
}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware: settings.CONTENT_SECURITY_POLICY everywhere, relaxed for the API docs."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name in API_DOCS_VIEWS and parts.update is None:
            parts.update = API_DOCS_POLICY
        return parts


API_PREFIX = "/api/"
JSON = "application/json"


class ApiRequestMiddleware:
    """JSON answers, under /api/, where Django would answer in HTML or with a redirect that
    loses a write. Placed before CommonMiddleware.

    - An address without its trailing slash whose slashed form is an API address: 308 Permanent
      Redirect to the slashed address, for every method, so a client repeats the request there
      with the same method and body. (CommonMiddleware answers 301, which clients follow with a
      GET: a PATCH answered 200 and saved nothing; under DEBUG a write was a 500.) An address
      whose slashed form is no API resource either: the API's JSON 404.
    - A body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (Django raises RequestDataTooBig when a
      view reads it): 413, not Django's HTML 400.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            response = self.slash_redirect(request)
            if response is not None:
                return response
        return self.get_response(request)

    @staticmethod
    def slash_redirect(request) -> HttpResponse | None:
        """CommonMiddleware's APPEND_SLASH rule, answered with a 308 (see the class)."""
        path = request.path_info
        if not settings.APPEND_SLASH or path.endswith("/"):
            return None
        urlconf = getattr(request, "urlconf", None)
        if is_valid_path(path, urlconf):
            return None
        match = is_valid_path(f"{path}/", urlconf)
        if not match or not getattr(match.func, "should_append_slash", True):
            return None
        if match.func is not_found:
            return not_found(request)
        location = escape_leading_slashes(request.get_full_path(force_append_slash=True))
        detail = f"Use {request.build_absolute_uri(location)} (with the trailing slash)."
        body = json.dumps({"detail": detail, "code": "use_trailing_slash"})
        return HttpResponsePermanentRedirect(location, preserve_request=True, content=body, content_type=JSON)

    @staticmethod
    def process_exception(request, exception) -> JsonResponse | None:
        if not request.path_info.startswith(API_PREFIX):
            return None
        if isinstance(exception, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            detail = f"Request body too large: the API takes at most {limit} bytes."
            return JsonResponse({"detail": detail, "code": "request_too_large"}, status=413)
        if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            detail = f"Too many parameters: the API reads at most {limit} in a query or a form."
            return JsonResponse({"detail": detail, "code": "too_many_parameters"}, status=400)
        return None


class HttpsRedirectForWritesMiddleware(DjangoSecurityMiddleware):
    """The http-to-https redirect (SECURE_SSL_REDIRECT) of a write, as a 308: Django's
    SecurityMiddleware, which answers the reads after this, gives a 301, which clients repeat
    as a GET (a POST or PATCH then saves nothing and looks fine). Placed just before it."""

    def process_request(self, request):
        if request.method in ("GET", "HEAD"):
            return None
        response = super().process_request(request)
        if response is not None:
            return HttpResponsePermanentRedirect(response["Location"], preserve_request=True)
        return None

    def process_response(self, request, response):
        return response  # the headers are SecurityMiddleware's to add


class ApiHeadersMiddleware:
    """The headers every answer under /api/ carries, cached or not (citynet.caching keeps bodies,
    not these headers, so they are written here on every response):

    - `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds) where the API's
      throttles counted the request (citynet.throttling): the tightest of its limits. A 429 also
      keeps DRF's `Retry-After`.
    - `Vary: Origin` (the CORS headers depend on it; DRF's views add `Vary: Accept`).
    - On reads (GET, HEAD) without a Cache-Control of their own: `public, max-age=0,
      must-revalidate` for the public, whose answers are the same for everyone; `private,
      no-store` for a signed-in client (it may be shown restricted evidence) and for any answer
      setting a cookie.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(API_PREFIX):
            self.add_headers(request, response)
        return response

    @staticmethod
    def add_headers(request, response) -> None:
        limit = tightest(getattr(request, RATE_LIMITS, []))
        if limit is not None:
            response["RateLimit-Limit"] = str(limit.limit)
            response["RateLimit-Remaining"] = str(limit.remaining)
            response["RateLimit-Reset"] = str(limit.reset)
        patch_vary_headers(response, ["Origin"])
        if request.method in ("GET", "HEAD") and not response.has_header("Cache-Control"):
            user = getattr(request, "user", None)
            if (user is not None and user.is_authenticated) or response.cookies:
                response["Cache-Control"] = "private, no-store"
            else:
                response["Cache-Control"] = "public, max-age=0, must-revalidate"


def client_address(request) -> str:
    """The client's IP address as the API throttles see it: REMOTE_ADDR, or the address that
    the trusted proxies (REST_FRAMEWORK["NUM_PROXIES"]) put in X-Forwarded-For."""
    return BaseThrottle().get_ident(request)


def lockout_response(request, original_response=None, credentials=None):
    """The admin-styled page (429 Too Many Requests) that every login attempt gets while locked out."""
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed logins",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": round(get_cool_off(request).total_seconds() / 60),
    }
    return render(request, "registration/locked_out.html", context, status=429)
