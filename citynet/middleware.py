"""The Content Security Policy, with the one exception the API docs need, and the pieces of the
failed-login lockout (django-axes): the client address it counts by and the page it shows."""

from axes.helpers import get_cool_off
from csp.constants import SELF
from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle

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
