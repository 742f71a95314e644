"""Cached responses for the heavy public pages and the API's matrix, never older than the data.

A network's profile, a city's profile, the comparison and the matrix read tens of thousands of
rows and draw charts; they change only when the data change. Each rendered response is kept in
Django's cache (settings.CACHES["pages"]) under its address (with the host, the day and the
variant), together with the tables it read and their versions (citynet.dataversion: counters
that database triggers move on in the transaction of every write to a table, whatever makes
it — the admin, the API, a loader, a shell — on PostgreSQL and SQLite alike). A cached response
is served while every table it read is unchanged; the first request after a write to one of
them builds it again, and requests for it that come meanwhile, on any server sharing the
cache, wait for that build. So invalidation needs no code in the write paths (no signals, no
save() overrides), and a write to membership spells leaves the codings' matrix cached. Which
tables a build read is taken from the SQL it ran (`TablesRead`), so a view cannot forget to
declare one. An entry is replaced in place when rebuilt (the version is not in its key), so
older versions never pile up; entries also expire after `ENTRY_SECONDS`. The versions are read
once per request, in one query (`request_data_version`).

Nothing is cached inside a transaction (a test's, or ATOMIC_REQUESTS): a page built there may
show writes that are rolled back. The pages are the same for every visitor (no user, no CSRF
token in them). Large bodies are stored gzip-compressed, so a per-process memory cache stays
small (the matrix of a 10,000-member network is ~30 MB of JSON, ~3 MB compressed), and are sent
as they are stored to clients that accept gzip (browsers, curl --compressed, requests).
"""

import contextlib
import datetime
import functools
import gzip
import hashlib
import re
import time
from collections.abc import Callable
from typing import NamedTuple

from django.core.cache import caches
from django.db import connection
from django.db import connections
from django.db import router
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from citynet import dataversion
from citynet.models import DataVersion

ENTRY_SECONDS = 600
# While one request builds a page, others for it wait for the result (`built_elsewhere`), for
# up to WAIT_SECONDS, then build it themselves. The mark lasts as long as gunicorn lets a
# request run, so a worker killed mid-build holds no one up for longer.
BUILDING = ":building"
BUILD_SECONDS = 60
WAIT_SECONDS = 30
POLL_SECONDS = 0.05
PAGES = "pages"  # the alias in settings.CACHES
COMPRESS_ABOVE = 256 * 1024
# Response headers a view sets itself (middleware adds the others to every response).
KEPT_HEADERS = ("Content-Disposition",)


class Version(NamedTuple):
    tag: str  # changes with every committed write: "<epoch>.<counter>"
    changed_at: datetime.datetime | None  # when the data last changed (None: never written)
    tables: dict[str, int] | None = None  # each written table's counter (None: every one 0)

    @property
    def epoch(self) -> str:
        return self.tag.partition(".")[0]

    def of(self, table: str) -> int:
        return (self.tables or {}).get(table, 0)


def data_version() -> Version | None:
    """The data version (citynet.dataversion): a new tag after every committed write to the
    data. None where a cached response could be wrong (inside a transaction). Read from the
    database this request reads from (a read replica's when its pages come from there:
    citynet.replica), so a cached page or an ETag never claims newer data than it shows."""
    if connection.in_atomic_block:
        return None
    return Version(*dataversion.read_with_tables(router.db_for_read(DataVersion)))


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
    key = entry_key(request, variant)
    cache = caches[PAGES]
    entry = current(cache.get(key), version)
    building = False
    if entry is None:
        # One build per page and data version: after a write, every worker of every server
        # misses the same pages at once, and building each page many times over at once
        # slows all of them down (the mixed load test with a write a second stalled so).
        building = cache.add(key + BUILDING, 1, BUILD_SECONDS)
        if not building:
            entry = current(built_elsewhere(cache, key), version)
    if entry is not None:
        return response_from(request, entry)
    try:
        with TablesRead() as read:
            response = build()
        if response.status_code == 200 and not response.streaming and not response.has_header("Content-Encoding"):
            content = response.content
            compressed = len(content) > COMPRESS_ABOVE
            headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            stored = gzip.compress(content, compresslevel=1, mtime=0) if compressed else content
            # The versions read before the build: a write committed during it makes the entry
            # look older than it is (rebuilt next time), never newer.
            read_at = (version.epoch, tuple((table, version.of(table)) for table in sorted(read.tables)))
            cache.set(key, (stored, compressed, response["Content-Type"], headers, read_at), ENTRY_SECONDS)
            if compressed:
                patch_vary_headers(response, ["Accept-Encoding"])
    finally:
        if building:
            cache.delete(key + BUILDING)
    return response


def current(entry, version: Version):
    """`entry` if every table it was built from is unchanged since (else None)."""
    if entry is None or len(entry) != 5:
        return None
    epoch, tables = entry[4]
    if epoch != version.epoch or any(version.of(table) != counter for table, counter in tables):
        return None
    return entry


def entry_key(request, variant: str = "") -> str:
    """The cache key of this request's response (its versions are kept in the entry)."""
    # The address (with the host) and the day are part of the key: pages cite themselves
    # with their permalink and the date they were retrieved.
    address = f"{variant}|{request.build_absolute_uri()}".encode()
    return f"citynet:response:{timezone.localdate().isoformat()}:{hashlib.sha256(address).hexdigest()}"


@functools.cache
def tracked_table_pattern() -> re.Pattern:
    """Any name of a table the data version counts, as a whole word."""
    names = sorted(dataversion.tracked_tables(), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(name) for name in names) + r")\b")


class TablesRead:
    """The tracked tables named in the SQL run on any database connection of this thread while
    it is open (a build's queries, those of a replica included)."""

    def __init__(self):
        self.tables: set[str] = set()
        self.stack = contextlib.ExitStack()

    def __call__(self, execute, sql, params, many, context):
        self.tables.update(tracked_table_pattern().findall(sql))
        return execute(sql, params, many, context)

    def __enter__(self):
        for alias in connections:
            self.stack.enter_context(connections[alias].execute_wrapper(self))
        return self

    def __exit__(self, *exc):
        return self.stack.__exit__(*exc)


def built_elsewhere(cache, key: str):
    """The entry that another request (in any process sharing the cache) is building, once it
    is stored; None if that build ends without storing one, or takes over `WAIT_SECONDS`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while cache.has_key(key + BUILDING) and time.monotonic() < deadline:
        pause()
    return cache.get(key)


def pause() -> None:
    time.sleep(POLL_SECONDS)


def response_from(request, entry) -> HttpResponse:
    content, compressed, content_type, headers, _ = entry
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


def clear() -> None:
    """Forget every cached page (the next request for each builds it again). In Redis, only the
    pages' keys go (citynet.redis_cache), not the throttle counts or anyone else's data."""
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
