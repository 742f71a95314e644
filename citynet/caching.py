"""Cached responses for the heavy public pages and the API's matrix, never older than the data.

A network's profile, a city's profile, the comparison and the matrix read tens of thousands of
rows and draw charts; they change only when the data change. Each rendered response is kept
in Django's cache (settings.CACHES["pages"]) under a key that includes `data_version()`:
citynet.dataversion's value, which database triggers move on in the transaction of every write
to the data (the admin, the API, a loader, a shell), on PostgreSQL and SQLite alike. So
invalidation needs no code in the write paths (no signals, no save() overrides): the first
request after any write builds the page again, later ones reuse it. A process that sees a new
data version empties the pages cache first, so pages of older versions never pile up in memory.
The version is read once per request (`request_data_version`).

Nothing is cached inside a transaction (a test's, or ATOMIC_REQUESTS): a page built there may
show writes that are rolled back. The
pages are the same for every visitor (no user, no CSRF token in them); entries also expire
after `ENTRY_SECONDS`. Large bodies are stored gzip-compressed, so a per-process memory cache
stays small (the matrix of a 10,000-member network is ~30 MB of JSON, ~3 MB compressed), and
are sent as they are stored to clients that accept gzip (browsers, curl --compressed, requests).
"""

import datetime
import functools
import gzip
import hashlib
from collections.abc import Callable
from typing import NamedTuple

from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from citynet import dataversion

ENTRY_SECONDS = 600
PAGES = "pages"  # the alias in settings.CACHES
COMPRESS_ABOVE = 256 * 1024
# Response headers a view sets itself (middleware adds the others to every response).
KEPT_HEADERS = ("Content-Disposition",)


class Version(NamedTuple):
    tag: str  # changes with every committed write
    changed_at: datetime.datetime | None  # when the data last changed (None: never written)


def data_version() -> Version | None:
    """The data version (citynet.dataversion): a new tag after every committed write to the
    data. None where a cached response could be wrong (inside a transaction)."""
    if connection.in_atomic_block:
        return None
    return Version(*dataversion.read())


VERSION_ATTRIBUTE = "citynet_data_version"


def request_data_version(request) -> Version | None:
    """`data_version()`, read once per request (the page cache and the ETags share it)."""
    if not hasattr(request, VERSION_ATTRIBUTE):
        setattr(request, VERSION_ATTRIBUTE, data_version())
    return getattr(request, VERSION_ATTRIBUTE)


def cached_response(request, build: Callable[[], HttpResponse], variant: str = "") -> HttpResponse:
    """The response `build()` makes for this request, from the cache while the data are
    unchanged. `variant` names what else the response depends on (e.g. the API's format).
    Only complete 200 responses are kept; GET and HEAD only."""
    version = request_data_version(request) if request.method in ("GET", "HEAD") else None
    if version is None:
        return build()
    # The address (with the host) and the day are part of the key: pages cite themselves
    # with their permalink and the date they were retrieved.
    address = f"{variant}|{request.build_absolute_uri()}".encode()
    key = f"citynet:response:{version.tag}:{timezone.localdate().isoformat()}:{hashlib.sha256(address).hexdigest()}"
    cache = pages_cache(version.tag)
    entry = cache.get(key)
    if entry is not None:
        content, compressed, content_type, headers = entry
        if compressed and accepts_gzip(request):
            # Sent as stored: a tenth of the bytes, and nothing to decompress.
            response = HttpResponse(content, content_type=content_type)
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(gzip.decompress(content) if compressed else content, content_type=content_type)
        for name, value in headers.items():
            response[name] = value
        if compressed:
            patch_vary_headers(response, ["Accept-Encoding"])
        return response
    response = build()
    if response.status_code == 200 and not response.streaming and not response.has_header("Content-Encoding"):
        content = response.content
        compressed = len(content) > COMPRESS_ABOVE
        headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        stored = gzip.compress(content, compresslevel=1, mtime=0) if compressed else content
        cache.set(key, (stored, compressed, response["Content-Type"], headers), ENTRY_SECONDS)
        if compressed:
            patch_vary_headers(response, ["Accept-Encoding"])
    return response


_seen_version: str | None = None


def pages_cache(version: str):
    """The pages cache, emptied first if the data changed since this process last looked."""
    global _seen_version
    cache = caches[PAGES]
    if version != _seen_version:
        cache.clear()
        _seen_version = version
    return cache


def clear() -> None:
    """Forget every cached page (the next request for each builds it again)."""
    caches[PAGES].clear()


def accepts_gzip(request) -> bool:
    """Whether the client takes a gzip-encoded body (Accept-Encoding: gzip, not q=0)."""
    for coding in request.headers.get("Accept-Encoding", "").split(","):
        name, _, parameters = coding.strip().partition(";")
        if name.strip().lower() == "gzip":
            return parameters.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def cache_while_unchanged(view):
    """Decorate a public page's view: its responses come from `cached_response()`."""

    @functools.wraps(view)
    def cached_view(request, *args, **kwargs):
        return cached_response(request, lambda: view(request, *args, **kwargs))

    return cached_view
