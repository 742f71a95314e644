"""Conditional GET and compression for the API.

`ApiConditionalGetMiddleware`: every 200 answer to a GET or HEAD under /api/ carries a strong
`ETag` and a `Last-Modified`, both from the data version (citynet.dataversion), so they cost
one small query and no rendering. A client that sends a tag back in `If-None-Match` (or a date
in `If-Modified-Since`) while the data are unchanged gets `304 Not Modified` before any view
runs. The tag is a digest of the data version, the code's version, the address (host and query
included), and what else selects the representation: `Accept`, the credentials
(`Authorization`, the session cookie: restricted evidence is shown to some readers only) and
the content coding. An answer that has its own ETag (a record's version, which `If-Match`
checks on writes: networks.api.base.VersionCheckedViewSet) keeps it, and `If-None-Match` is
honoured against it after the view has run.

`Last-Modified` is the next whole second after the last write, and only once that second has
passed: HTTP dates have no fractions, so a date any earlier could hide a second write made
within the same second.

`ApiGZipMiddleware`: Django's GZipMiddleware for API answers that are not HTML (JSON, CSV):
nothing in them is secret, so compression cannot leak a token (BREACH); the browsable API's
HTML pages, which carry a CSRF token, are left alone. Unlike Django's, it keeps a record's ETag
strong, because `If-Match` compares tags strongly and a client that takes gzip must still be
able to write.
"""

import datetime
import math
from pathlib import Path

from django.conf import settings
from django.http import HttpResponseNotModified
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date
from django.utils.http import parse_etags
from django.utils.http import parse_http_date_safe

from citynet.caching import request_data_version
from citynet.dataversion import fingerprint

API_PREFIX = "/api/"
READS = ("GET", "HEAD")
# What selects an API answer's representation besides its address (the ETag covers each).
VARY = ["Accept", "Accept-Encoding", "Authorization", "Cookie"]
CODE_PARTS = ("citynet", "cities", "networks", "templates")


def code_version() -> str:
    """A digest of the project's code and templates as deployed (file names, sizes, times): a
    new deployment gives every answer a new tag even while the data are unchanged."""
    root = Path(settings.BASE_DIR)
    entries = []
    for part in CODE_PARTS:
        for path in sorted((root / part).rglob("*")):
            if path.suffix in (".py", ".html", ".md", ".txt") and "__pycache__" not in path.parts:
                stat = path.stat()
                entries.append(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}")
    return fingerprint(*entries)


CODE_VERSION = code_version()


def data_etag(request, version: str, coding: str) -> str:
    """The strong ETag of this request's answer at this data version, in this content coding."""
    digest = fingerprint(
        version,
        CODE_VERSION,
        request.scheme,
        request.get_host(),
        request.get_full_path(),
        request.headers.get("Accept", ""),
        request.headers.get("Authorization", ""),
        request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""),
        coding,
    )
    return f'"{digest}"'


def last_modified(changed_at: datetime.datetime | None) -> datetime.datetime | None:
    """The Last-Modified date for data last changed at `changed_at`: the next whole second, once
    it has passed (see the module's docstring); None before."""
    if changed_at is None:
        return None
    ceiling = math.floor(changed_at.timestamp()) + 1
    if ceiling > datetime.datetime.now(datetime.UTC).timestamp():
        return None
    return datetime.datetime.fromtimestamp(ceiling, datetime.UTC)


def has_credentials(request) -> bool:
    return "Authorization" in request.headers or settings.SESSION_COOKIE_NAME in request.COOKIES


class ApiConditionalGetMiddleware:
    """ETag, Last-Modified and 304 on API reads (see the module's docstring). Placed after
    ApiHeadersMiddleware (which adds Cache-Control and Vary to the 304s too) and before
    ApiGZipMiddleware (so the tag names the coding actually sent)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in READS or not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        version = request_data_version(request)
        if version is None:  # inside a transaction: no version to promise
            return self.not_modified_or(request, self.get_response(request))
        tags = {coding: data_etag(request, version.tag, coding) for coding in ("identity", "gzip")}
        asked = parse_etags(request.headers.get("If-None-Match", ""))
        for tag in tags.values():
            if tag in asked or "*" in asked:
                return self.not_modified(request, tag, last_modified(version.changed_at))
        if "If-None-Match" not in request.headers and self.unmodified_since(request, version.changed_at):
            return self.not_modified(request, None, last_modified(version.changed_at))
        response = self.get_response(request)
        if response.status_code == 200:
            if not response.has_header("ETag"):
                response["ETag"] = tags["gzip" if response.get("Content-Encoding") == "gzip" else "identity"]
                modified = last_modified(version.changed_at)
                if modified is not None:
                    response["Last-Modified"] = http_date(modified.timestamp())
            patch_vary_headers(response, VARY)
        return self.not_modified_or(request, response)

    @staticmethod
    def unmodified_since(request, changed_at: datetime.datetime | None) -> bool:
        since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
        return since is not None and changed_at is not None and changed_at.timestamp() < since

    def not_modified(self, request, tag: str | None, modified: datetime.datetime | None) -> HttpResponseNotModified:
        response = HttpResponseNotModified()
        if tag is not None:
            response["ETag"] = tag
        if modified is not None:
            response["Last-Modified"] = http_date(modified.timestamp())
        if has_credentials(request):
            response["Cache-Control"] = "private, no-store"
        patch_vary_headers(response, VARY)
        return response

    def not_modified_or(self, request, response):
        """A 200 with its own ETag that the client already holds becomes a 304."""
        tag = response.get("ETag") if response.status_code == 200 else None
        if tag is not None and tag in parse_etags(request.headers.get("If-None-Match", "")):
            return self.not_modified(request, tag, None)
        return response


class ApiGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware for API answers other than HTML; a strong ETag stays strong."""

    def process_response(self, request, response):
        if not request.path_info.startswith(API_PREFIX) or response.get("Content-Type", "").startswith("text/html"):
            return response
        tag = response.get("ETag")
        response = super().process_response(request, response)
        if tag is not None:
            response["ETag"] = tag
        return response
