"""Cached responses for the heavy public pages and the API's matrix, never older than the data.

A network's profile, a city's profile, the comparison and the matrix read tens of thousands of
rows and draw charts; they change only when the data change. Each rendered response is kept
in Django's cache (settings.CACHES["pages"]) under a key that includes `data_version()`: the
position of PostgreSQL's write-ahead log, which moves on with every write committed anywhere
in the database (the admin, the API, a loader, a shell). So invalidation is explicit but needs
no code in the write paths (no signals, no save() overrides): the first request after any write
builds the page again, later ones reuse it. A process that sees a new data version empties
the pages cache first, so pages of older versions never pile up in memory.

Nothing is cached on other databases (SQLite has no such position) or inside a transaction
(a test's, or ATOMIC_REQUESTS): a page built there may show writes that are rolled back. The
pages are the same for every visitor (no user, no CSRF token in them); entries also expire
after `ENTRY_SECONDS`. Large bodies are stored gzip-compressed, so a per-process memory cache
stays small (the matrix of a 10,000-member network is ~30 MB of JSON, ~3 MB compressed), and
are sent as they are stored to clients that accept gzip (browsers, curl --compressed, requests).
"""

import functools
import gzip
import hashlib
from collections.abc import Callable

from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

ENTRY_SECONDS = 600
PAGES = "pages"  # the alias in settings.CACHES
COMPRESS_ABOVE = 256 * 1024
# Response headers a view sets itself (middleware adds the others to every response).
KEPT_HEADERS = ("Content-Disposition",)


def data_version() -> str | None:
    """Where PostgreSQL's write-ahead log is (on a replica: how far it has replayed): a new
    value after every committed write. None where a cached response could be wrong."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END"
        )
        return str(cursor.fetchone()[0])


def cached_response(request, build: Callable[[], HttpResponse], variant: str = "") -> HttpResponse:
    """The response `build()` makes for this request, from the cache while the data are
    unchanged. `variant` names what else the response depends on (e.g. the API's format).
    Only complete 200 responses are kept; GET and HEAD only."""
    version = data_version() if request.method in ("GET", "HEAD") else None
    if version is None:
        return build()
    # The address (with the host) and the day are part of the key: pages cite themselves
    # with their permalink and the date they were retrieved.
    address = f"{variant}|{request.build_absolute_uri()}".encode()
    key = f"citynet:response:{version}:{timezone.localdate().isoformat()}:{hashlib.sha256(address).hexdigest()}"
    cache = pages_cache(version)
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
