"""Uncached API list pages against Datasette serving the same data (issue 14).

`run()` copies the database's data to a temporary SQLite file (on PostgreSQL: the tables the
pages read, with their indexes; on SQLite: the whole file, through SQLite's backup API, so
Datasette never locks the live one), starts `datasette serve` on it and Citynet under gunicorn
(citynet/gunicorn.conf.py, one worker), each on a free local port, then for each case walks the
same number of distinct pages of 50 rows with their count on both, one request after the
other (Citynet, Datasette, Citynet, ...), so a machine that slows down slows both. Both sides
pay HTTP on a new connection per request, without compression (no Accept-Encoding).

Citynet's page cache (citynet.caching) must not answer: every request to gunicorn names
another host (`r<n>.citynet-bench.test`), which is part of the cache key, so each one builds
its page; in process (`in_process=True`, for tests) the cache is emptied before each request.
Datasette has no response cache; it runs with facet suggestions off and pages of 50, counts
every filtered page (`filtered_table_rows_count`) and expands foreign keys to labels
(`_labels=on`), and pages by key (`_next`). Each case also has its floor: the SQL of the same
page and its count (and, for codings, the page's evidence), run on a cursor in this process.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import ExitStack
from contextlib import contextmanager
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from unittest import mock
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.db import connections
from django.db.models import Count
from django.db.utils import load_backend
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.test.utils import override_settings
from rest_framework.throttling import SimpleRateThrottle

from cities.models import City
from citynet import caching
from citynet import versioned
from networks.models import Code
from networks.models import CodebookVersion
from networks.models import Coder
from networks.models import Coding
from networks.models import Evidence
from networks.models import Membership
from networks.models import Network
from networks.models import Source
from networks.tooling.benchmark import database_version
from networks.tooling.benchmark import percentile

PAGE_SIZE = 50
DATABASE_NAME = "citynet"  # Datasette names a database after its file
HOST_DOMAIN = "citynet-bench.test"
# The tables the compared pages read, copied from PostgreSQL with their indexes.
COPIED_MODELS = [City, Network, Source, Membership, CodebookVersion, Code, Coder, Coding, Evidence]
# Datasette shows a foreign key's label from a column called name or title; sources have a label.
DATASETTE_METADATA = {"databases": {DATABASE_NAME: {"tables": {"networks_source": {"label_column": "label"}}}}}
START_SECONDS = 60


# --- The cases: Citynet's page n, Datasette's equivalent table page, the floor ------------------


@dataclass
class Case:
    name: str
    rows: int  # rows in the list, so pages of 50 cycle within it
    citynet: Callable[[int], str]  # page number -> path
    datasette: str  # the first table page (later ones follow `next`)
    floor: Callable[[int], list]  # offset (a walk: the last id seen) -> rows of the page and its count
    small_path: str | None  # the same list for a small subject: the query count must not change
    # A cursor walk (`cursor=*`, then each page's `next`): by id, like Datasette's `_next`.
    walk: bool = False


def sql(statement: str, params: list) -> list:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


MEMBERSHIP_PAGE = (
    "SELECT m.id, c.slug, c.name, c.country, c.kind, n.slug, n.name, m.type, m.joined, m.joined_precision, "
    "m.left, m.left_precision, m.application_round, m.took_effect, m.listed_on, m.source_id, s.label, "
    "s.citation, s.url, m.note, m.created_at, m.updated_at "
    "FROM networks_membership m JOIN cities_city c ON c.id = m.city_id "
    "JOIN networks_network n ON n.id = m.network_id JOIN networks_source s ON s.id = m.source_id "
    "WHERE m.network_id = %s ORDER BY n.name, c.name, m.joined LIMIT 50 OFFSET %s"
)
CITY_PAGE = (
    "SELECT c.*, (SELECT COUNT(*) FROM networks_membership m WHERE m.city_id = c.id) "
    "FROM cities_city c ORDER BY c.name, c.country LIMIT 50 OFFSET %s"
)
CODING_PAGE = (
    "SELECT co.id, co.salience, co.outcome, co.perspective, co.note, co.coded_at, co.updated_at, "
    "ci.slug, ci.name, ci.country, n.slug, n.name, k.code, k.name, k.kind, cr.name "
    "FROM networks_coding co JOIN cities_city ci ON ci.id = co.city_id "
    "JOIN networks_network n ON n.id = co.network_id JOIN networks_code k ON k.id = co.code_id "
    "JOIN networks_coder cr ON cr.id = co.coder_id "
    "WHERE co.city_id = %s ORDER BY n.name, ci.name, k.kind, k.position LIMIT 50 OFFSET %s"
)
CODING_EVIDENCE = (
    "SELECT e.id, e.coding_id, e.kind, e.visibility, e.text, e.original_text, e.locator, e.position, "
    "s.label, s.citation FROM networks_evidence e JOIN networks_source s ON s.id = e.source_id "
    "WHERE e.coding_id IN ({ids}) ORDER BY e.coding_id, e.position, e.id"
)
EVIDENCE_COUNT = (
    "SELECT COUNT(*) FROM networks_evidence e JOIN networks_coding co ON co.id = e.coding_id WHERE co.city_id = %s"
)
EVIDENCE_PAGE = (
    "SELECT e.id, e.kind, e.visibility, e.text, e.original_text, e.locator, e.position, co.id, co.salience, "
    "co.outcome, co.perspective, ci.slug, ci.name, ci.country, n.slug, n.name, k.code, k.name, k.kind, cr.name, "
    "s.label, s.citation "
    "FROM networks_evidence e JOIN networks_coding co ON co.id = e.coding_id "
    "JOIN cities_city ci ON ci.id = co.city_id JOIN networks_network n ON n.id = co.network_id "
    "JOIN networks_code k ON k.id = co.code_id JOIN networks_coder cr ON cr.id = co.coder_id "
    "JOIN networks_source s ON s.id = e.source_id WHERE co.city_id = %s "
    "ORDER BY n.name, ci.name, k.kind, k.position, co.perspective, cr.name, e.position, e.id LIMIT 50 OFFSET %s"
)


# The same rows by key, as a cursor walk reads them (and Datasette's `_next`): after an id, by id.
MEMBERSHIP_WALK = MEMBERSHIP_PAGE.replace(
    "WHERE m.network_id = %s ORDER BY n.name, c.name, m.joined LIMIT 50 OFFSET %s",
    "WHERE m.network_id = %s AND m.id > %s ORDER BY m.id LIMIT 50",
)
CODING_WALK = CODING_PAGE.replace(
    "WHERE co.city_id = %s ORDER BY n.name, ci.name, k.kind, k.position LIMIT 50 OFFSET %s",
    "WHERE co.city_id = %s AND co.id > %s ORDER BY co.id LIMIT 50",
)


def membership_floor(network: Network, page: str = MEMBERSHIP_PAGE) -> Callable[[int], list]:
    def run(offset: int) -> list:
        count = sql("SELECT COUNT(*) FROM networks_membership WHERE network_id = %s", [network.pk])
        return count + sql(page, [network.pk, offset])

    return run


def city_floor(offset: int) -> list:
    return sql("SELECT COUNT(*) FROM cities_city", []) + sql(CITY_PAGE, [offset])


def coding_floor(city: City, statement: str = CODING_PAGE) -> Callable[[int], list]:
    def run(offset: int) -> list:
        count = sql("SELECT COUNT(*) FROM networks_coding WHERE city_id = %s", [city.pk])
        page = sql(statement, [city.pk, offset])
        ids = [row[0] for row in page]
        evidence = sql(CODING_EVIDENCE.format(ids=", ".join(["%s"] * len(ids))), ids) if ids else []
        return count + page + evidence

    return run


def evidence_floor(city: City) -> Callable[[int], list]:
    def run(offset: int) -> list:
        return sql(EVIDENCE_COUNT, [city.pk]) + sql(EVIDENCE_PAGE, [city.pk, offset])

    return run


def table_page(table: str, **filters: str) -> str:
    query = "&".join(f"{name}={quote(value)}" for name, value in filters.items())
    return f"/{DATABASE_NAME}/{table}.json?{query + '&' if query else ''}_size={PAGE_SIZE}&_labels=on&_shape=objects"


@dataclass
class Subjects:
    network: Network  # most membership spells
    small_network: Network  # fewest (at least one)
    city: City  # most codings
    small_city: City  # fewest codings (at least one)


def find_subjects() -> Subjects:
    networks = Network.objects.annotate(n=Count("memberships")).filter(n__gt=0).order_by("-n", "pk")
    coded = City.objects.annotate(n=Count("codings")).filter(n__gt=0).order_by("-n", "pk")
    if not networks.exists() or not coded.exists():
        raise ValueError("No network has members or no place is coded: load data first (generate_synthetic).")
    return Subjects(
        network=networks.first(),
        small_network=networks.reverse().first(),
        city=coded.first(),
        small_city=coded.reverse().first(),
    )


def walk_path(start: str, ids) -> Callable[[int], str]:
    """Page n of a cursor walk from `start`: `cursor=*` for the first, then the id of the last
    row of page n - 1 (as that page's `next` names it)."""

    def path(page: int) -> str:
        if page == 1:
            return f"{start}&cursor=*"
        last = list(ids.order_by("pk").values_list("pk", flat=True)[(page - 1) * PAGE_SIZE - 1 :][:1])
        return f"{start}&cursor={last[0] if last else 0}"

    return path


def cases(subjects: Subjects) -> list[Case]:
    network, city = subjects.network, subjects.city
    coding_rows = Coding.objects.filter(city=city).count()
    evidence_rows = Evidence.objects.filter(coding__city=city).count()
    in_city = f"coding_id in (select id from networks_coding where city_id = {int(city.pk)})"
    return [
        Case(
            "Memberships of the largest network",
            Membership.objects.filter(network=network).count(),
            lambda page: f"/api/v1/memberships/?network={network.slug}&page={page}",
            table_page("networks_membership", network_id=str(network.pk)),
            membership_floor(network),
            f"/api/v1/memberships/?network={subjects.small_network.slug}",
        ),
        Case(
            "Codings of the best-coded place",
            coding_rows,
            lambda page: f"/api/v1/codings/?city={city.slug}&page={page}",
            table_page("networks_coding", city_id=str(city.pk)),
            coding_floor(city),
            f"/api/v1/codings/?city={subjects.small_city.slug}",
        ),
        Case(
            "Memberships of the largest network, walked",
            Membership.objects.filter(network=network).count(),
            walk_path(f"/api/v1/memberships/?network={network.slug}", Membership.objects.filter(network=network)),
            table_page("networks_membership", network_id=str(network.pk)),
            membership_floor(network, MEMBERSHIP_WALK),
            f"/api/v1/memberships/?network={subjects.small_network.slug}&cursor=*",
            walk=True,
        ),
        Case(
            "Codings of the best-coded place, walked",
            coding_rows,
            walk_path(f"/api/v1/codings/?city={city.slug}", Coding.objects.filter(city=city)),
            table_page("networks_coding", city_id=str(city.pk)),
            coding_floor(city, CODING_WALK),
            f"/api/v1/codings/?city={subjects.small_city.slug}&cursor=*",
            walk=True,
        ),
        Case(
            "Cities, all",
            City.objects.count(),
            lambda page: f"/api/v1/cities/?page={page}",
            table_page("cities_city"),
            city_floor,
            None,
        ),
        Case(
            "Evidence of the best-coded place",
            evidence_rows,
            lambda page: f"/api/v1/evidence/?city={city.slug}&page={page}",
            table_page("networks_evidence", _where=in_city),
            evidence_floor(city),
            f"/api/v1/evidence/?city={subjects.small_city.slug}",
        ),
    ]


# --- The SQLite copy Datasette serves ---------------------------------------------------------


def copy_to_sqlite(target: Path, progress: Callable[[str], None]) -> None:
    """The data of the default database in a new SQLite file at `target`."""
    connection.ensure_connection()
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        # SQLite's online backup: a consistent snapshot, whatever else writes meanwhile. (Not
        # from inside a transaction, a test's: SQLite refuses to back up a database its own
        # connection is writing, and the rows are copied one table after the other instead.)
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
        return
    wrapper = sqlite_connection(target)
    try:
        with wrapper.schema_editor(collect_sql=True, atomic=False) as editor:
            for model in COPIED_MODELS:
                editor.create_model(model)
        statements = [statement for statement in editor.collected_sql if statement.strip()]
        indexes = [statement for statement in statements if " INDEX " in statement.split("(")[0].upper()]
        wrapper.ensure_connection()
        raw = wrapper.connection
        raw.execute("PRAGMA foreign_keys = OFF")  # rows may point to tables left out (users)
        raw.execute("PRAGMA journal_mode = OFF")
        raw.execute("PRAGMA synchronous = OFF")
        for statement in statements:
            if statement not in indexes:
                raw.execute(statement)
        for model in COPIED_MODELS:
            rows = copy_table(model, raw, wrapper)
            progress(f"  copied {rows:,} rows of {model._meta.db_table}")
        for statement in indexes:  # after the rows: faster than keeping them up to date
            raw.execute(statement)
        raw.commit()
        raw.execute("ANALYZE")
    finally:
        wrapper.close()


def sqlite_connection(path: Path):
    """A Django connection to the SQLite file at `path` (not one of settings.DATABASES)."""
    alias = "datasette_copy"
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}
    settings_dict = connections.configure_settings({"default": database, alias: database})[alias]
    return load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)


def copy_table(model, target: sqlite3.Connection, wrapper) -> int:
    """Copy every row of `model`'s table from the default database into `target`."""
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    datetimes = [index for index, field in enumerate(fields) if field.get_internal_type() == "DateTimeField"]
    insert = f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({', '.join('?' * len(fields))})"
    adapt = wrapper.ops.adapt_datetimefield_value
    copied = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {connection.ops.quote_name(model._meta.db_table)}")
        while chunk := cursor.fetchmany(5000):
            if datetimes:
                chunk = [list(row) for row in chunk]
                for row in chunk:
                    for index in datetimes:
                        row[index] = adapt(row[index])
            target.executemany(insert, chunk)
            copied += len(chunk)
    return copied


# --- The servers and clients ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class HttpSide:
    """GET requests to a server on this machine, a new connection each (as both servers would
    see from different clients); `hosts` names another Host header for every request."""

    def __init__(self, port: int, headers: dict[str, str] | None = None, hosts: bool = False):
        self.port = port
        self.headers = headers or {}
        self.hosts = hosts
        self.sent = 0

    def get(self, path: str) -> tuple[int, bytes]:
        self.sent += 1
        host = f"r{self.sent}.{HOST_DOMAIN}" if self.hosts else f"127.0.0.1:{self.port}"
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            client.request("GET", path, headers={"Host": host, **self.headers})
            response = client.getresponse()
            return response.status, response.read()
        finally:
            client.close()


class InProcessCitynet:
    """Citynet through Django's test client in this process, the page cache emptied first."""

    def __init__(self):
        self.client = Client()

    def get(self, path: str) -> tuple[int, bytes]:
        caching.clear()
        response = self.client.get(path, secure=True, HTTP_ACCEPT="application/json")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response.status_code, body


@contextmanager
def server(command: list[str], port: int, ready_path: str, env: dict[str, str], log: Path) -> Iterator[None]:
    """Run `command` until the block ends; ready once `ready_path` answers on `port`."""
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[2]} stopped at start: {log.read_text(errors='replace')[-2000:]}")
            try:
                HttpSide(port).get(ready_path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{command[2]} did not answer within {START_SECONDS} s") from None
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def datasette(database: Path, workdir: Path) -> tuple[list[str], int, dict[str, str]]:
    metadata = workdir / "metadata.json"
    metadata.write_text(json.dumps(DATASETTE_METADATA), encoding="utf-8")
    port = free_port()
    command = [sys.executable, "-m", "datasette", "serve", str(database), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--metadata", str(metadata)]
    command += ["--setting", "suggest_facets", "off", "--setting", "default_page_size", str(PAGE_SIZE)]
    return command, port, dict(os.environ)


def gunicorn() -> tuple[list[str], int, dict[str, str]]:
    """Citynet as deployed (citynet/gunicorn.conf.py) with one worker, behind a proxy that
    terminates HTTPS; any host under HOST_DOMAIN; a rate limit no benchmark reaches."""
    port = free_port()
    env = {
        **os.environ,
        "WEB_CONCURRENCY": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "DJANGO_ALLOWED_HOSTS": f".{HOST_DOMAIN}",
        "DJANGO_SECURE_PROXY_SSL_HEADER": "true",
        "DJANGO_API_THROTTLE_ANON": "100000000/min",
        "DJANGO_API_THROTTLE_USER": "100000000/min",
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "citynet.settings"),
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "citynet/gunicorn.conf.py", "citynet.wsgi"]
    return command, port, env


# --- Measuring ----------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    citynet_url: str
    datasette_url: str
    pages: int = 0
    distinct_pages: int = 0
    citynet_p50_ms: float = 0.0
    citynet_p95_ms: float = 0.0
    datasette_p50_ms: float = 0.0
    datasette_p95_ms: float = 0.0
    floor_p50_ms: float = 0.0
    floor_p95_ms: float = 0.0
    count: int | None = None
    datasette_count: int | None = None
    citynet_kb: float = 0.0
    datasette_kb: float = 0.0
    queries_page_1: int | None = None
    queries_page_3: int | None = None
    queries_small: int | None = None
    checks: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.citynet_p50_ms / self.datasette_p50_ms if self.datasette_p50_ms else float("inf")

    @property
    def met(self) -> bool:
        return all(self.checks.values())


def get_json(side, path: str) -> tuple[float, int, dict]:
    """Seconds for one request, the body's size and its JSON (parsed after the clock stops)."""
    started = time.perf_counter()
    status, body = side.get(path)
    elapsed = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"{path} answered {status}, not 200: {body[:300]!r}")
    return elapsed, len(body), json.loads(body)


def count_queries(path: str) -> int:
    client = Client()
    caching.clear()
    versioned.forget_all()  # each count as a first request's, so pages are compared alike
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, secure=True, HTTP_ACCEPT="application/json")
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}, not 200")
    return len(queries)


def measure(case: Case, citynet, datasette_side, pages: int, progress: Callable[[str], None]) -> Result:
    available = max(1, -(-case.rows // PAGE_SIZE))
    result = Result(case.name, case.citynet(1), case.datasette, pages=pages, distinct_pages=min(pages, available))
    result.queries_page_1 = count_queries(case.citynet(1))
    result.queries_page_3 = count_queries(case.citynet(min(3, available)))
    if case.small_path:
        result.queries_small = count_queries(case.small_path)
    # One untimed request each: the servers' first request loads code and fills their caches of
    # the schema, which are not what is compared.
    get_json(citynet, case.citynet(available))
    get_json(datasette_side, case.datasette)
    citynet_times, datasette_times, floor_times = [], [], []
    next_path = case.datasette
    walk_path, after = case.citynet(1), 0
    for index in range(pages):
        page = index % available + 1
        elapsed, size, body = get_json(citynet, walk_path if case.walk else case.citynet(page))
        citynet_times.append(elapsed)
        result.citynet_kb = max(result.citynet_kb, size / 1024)
        floor_at = after if case.walk else (page - 1) * PAGE_SIZE
        if case.walk:
            # On along the walk's `next`; from its start again after the last page.
            walk_path = relative(body["next"]) or case.citynet(1)
            after = body["results"][-1]["id"] if body["next"] and body["results"] else 0
        if page == 1:
            result.count = body["count"]
            next_path = case.datasette
        elapsed, size, body = get_json(datasette_side, next_path)
        datasette_times.append(elapsed)
        result.datasette_kb = max(result.datasette_kb, size / 1024)
        if page == 1:
            result.datasette_count = body["filtered_table_rows_count"]
        next_path = relative(body.get("next_url")) or case.datasette
        started = time.perf_counter()
        case.floor(floor_at)
        floor_times.append(time.perf_counter() - started)
        if (index + 1) % 25 == 0:
            progress(f"  {index + 1} of {pages} pages")
    result.citynet_p50_ms = 1000 * statistics.median(citynet_times)
    result.citynet_p95_ms = 1000 * percentile(citynet_times, 0.95)
    result.datasette_p50_ms = 1000 * statistics.median(datasette_times)
    result.datasette_p95_ms = 1000 * percentile(datasette_times, 0.95)
    result.floor_p50_ms = 1000 * statistics.median(floor_times)
    result.floor_p95_ms = 1000 * percentile(floor_times, 0.95)
    judge(result)
    return result


def relative(url: str | None) -> str | None:
    """A Datasette `next_url` without its scheme and host."""
    if not url:
        return None
    return "/" + url.split("://", 1)[-1].split("/", 1)[1]


def judge(result: Result) -> None:
    result.checks["p50 <= Datasette's p50"] = result.citynet_p50_ms <= result.datasette_p50_ms
    same = {result.queries_page_1, result.queries_page_3}
    if result.queries_small is not None:
        same.add(result.queries_small)
    result.checks["queries independent of page and data size"] = len(same) == 1
    result.checks["same count as Datasette"] = result.count == result.datasette_count


def run(*, pages: int = 100, in_process: bool = False, progress=None) -> dict:
    """Compare every case; returns {"environment", "subjects", "results": [Result as dict]}."""
    progress = progress or (lambda message: None)
    subjects = find_subjects()
    environment = {
        "database": connection.vendor,
        "database_version": database_version(),
        "python": sys.version.split()[0],
        "datasette": datasette_version(),
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "citynet": "in process (django.test.Client), page cache emptied before each request"
        if in_process
        else "gunicorn, 1 worker (citynet/gunicorn.conf.py), another Host per request so the page cache misses",
        "pages": pages,
    }
    results = []
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="citynet-datasette-")))
        database = workdir / f"{DATABASE_NAME}.db"
        progress(f"Copying the {connection.vendor} data to SQLite for Datasette")
        started = time.perf_counter()
        copy_to_sqlite(database, progress)
        environment["copy_seconds"] = round(time.perf_counter() - started, 1)
        command, port, env = datasette(database, workdir)
        progress("Starting Datasette")
        stack.enter_context(server(command, port, "/-/versions.json", env, workdir / "datasette.log"))
        datasette_side = HttpSide(port)
        # As in production (DEBUG off: no query log); the test client's host, over HTTPS.
        stack.enter_context(override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]))
        stack.enter_context(
            mock.patch.dict(SimpleRateThrottle.THROTTLE_RATES, {"anon": "100000000/min", "user": "100000000/min"})
        )
        if in_process:
            citynet = InProcessCitynet()
        else:
            command, port, env = gunicorn()
            progress("Starting Citynet under gunicorn")
            stack.enter_context(server(command, port, "/", env, workdir / "gunicorn.log"))
            citynet = HttpSide(port, headers={"X-Forwarded-Proto": "https", "Accept": "application/json"}, hosts=True)
        for case in cases(subjects):
            progress(f"{case.name}: {case.citynet(1)} | {case.datasette}")
            results.append(measure(case, citynet, datasette_side, pages, progress))
            progress(f"  {line(results[-1])}")
    environment["load_average_after"] = os.getloadavg()
    return {
        "environment": environment,
        "subjects": {
            "network": subjects.network.slug,
            "small_network": subjects.small_network.slug,
            "city": subjects.city.slug,
            "small_city": subjects.small_city.slug,
        },
        "results": [{**asdict(result), "ratio": result.ratio, "met": result.met} for result in results],
    }


def datasette_version() -> str:
    from importlib.metadata import version

    return version("datasette")


def line(result: Result) -> str:
    return (
        f"Citynet p50 {result.citynet_p50_ms:.1f} ms, Datasette p50 {result.datasette_p50_ms:.1f} ms "
        f"(x{result.ratio:.2f}), floor {result.floor_p50_ms:.1f} ms, queries {result.queries_page_1}"
    )


def table(report: dict) -> str:
    environment = report["environment"]
    head = (
        f"{environment['database']} {environment['database_version']}, Datasette {environment['datasette']}, "
        f"{environment['cpus']} CPUs, load {environment['load_average_before'][0]:.2f}; "
        f"{environment['pages']} pages of {PAGE_SIZE} per case; Citynet {environment['citynet']}"
    )
    columns = [
        "case",
        "pages",
        "Citynet p50",
        "p95",
        "Datasette p50",
        "p95",
        "ratio",
        "floor p50",
        "x floor",
        "queries p1/p3/small",
        "verdict",
    ]
    rows = []
    for result in report["results"]:
        queries = "/".join(
            "-" if value is None else str(value)
            for value in (result["queries_page_1"], result["queries_page_3"], result["queries_small"])
        )
        floor = result["floor_p50_ms"]
        rows.append(
            [
                result["name"],
                f"{result['pages']} ({result['distinct_pages']} distinct)",
                f"{result['citynet_p50_ms']:.1f}",
                f"{result['citynet_p95_ms']:.1f}",
                f"{result['datasette_p50_ms']:.1f}",
                f"{result['datasette_p95_ms']:.1f}",
                f"{result['ratio']:.2f}",
                f"{floor:.1f}",
                f"{result['citynet_p50_ms'] / floor:.1f}" if floor else "",
                queries,
                "met" if result["met"] else "NOT MET: " + "; ".join(k for k, v in result["checks"].items() if not v),
            ]
        )
    widths = [max(len(column), *(len(row[index]) for row in rows)) for index, column in enumerate(columns)]
    lines = [head, ""]
    lines.append("  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True)))
    lines.append("  ".join("-" * width for width in widths))
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    lines.append(
        "Milliseconds per request, client side over HTTP (new connection, no compression); ratio: Citynet p50 / "
        "Datasette p50 (target <= 1). Floor: the page's SQL and its count on a cursor in this process."
    )
    return "\n".join(lines)
