"""Server-side latency of Citynet's heaviest pages and endpoints, against the raw-SQL floor.

`run()` finds the subjects in the database (the network with the most membership spells, the
place with the most, and small ones to compare query counts with), then for each case sends
repeated GET requests through Django's test `Client`, in process: the time measured is the
server's whole handling of the request (URL routing, middleware, views, queries, rendering, and
for a streamed response every chunk of the body), without a network or an HTTP server. Each case
has a floor: hand-written SQL run through `connection.cursor()` that fetches the same rows the
page needs, timed the same way. Targets are those of issue 6 (PostgreSQL, default scale).
"""

from __future__ import annotations

import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from unittest import mock

import django
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.test.utils import override_settings
from rest_framework.throttling import SimpleRateThrottle

from cities.models import City
from citynet import caching
from networks.models import Coding
from networks.models import Evidence
from networks.models import Membership
from networks.models import Network

API_LIST_MS = 20
HTML_LIST_MS = 40
PROFILE_MS = 60
MATRIX_FLOOR_RATIO = 2.0
CSV_ROWS_PER_SECOND = 50_000
CSV_PEAK_MB = 200


@dataclass
class Case:
    """One page or endpoint to time, its small twin (for the query count), its floor and target."""

    name: str
    url: str
    small_url: str | None
    floor: Callable[[], list] | None
    target: str  # "api-list", "html-list", "profile", "floor-ratio" or "csv"


@dataclass
class Result:
    name: str
    url: str
    target: str
    samples: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    status: int = 0
    bytes: int = 0
    queries: int | None = None
    queries_small: int | None = None
    cold_p50_ms: float | None = None
    cold_p95_ms: float | None = None
    floor_p50_ms: float | None = None
    floor_p95_ms: float | None = None
    floor_rows: int | None = None
    extra: dict = field(default_factory=dict)
    checks: dict = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return all(self.checks.values())


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p50 of [1, 2, 3, 4] is 2)."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def timed(function: Callable[[], object], repeat: int, budget: float, warmup: int = 1) -> list[float]:
    """Seconds per call of `function`: `warmup` calls untimed, then up to `repeat` timed calls,
    fewer (but at least three) once `budget` seconds are spent."""
    for _ in range(warmup):
        function()
    times: list[float] = []
    spent = 0.0
    while len(times) < repeat and (len(times) < 3 or spent < budget):
        started = time.perf_counter()
        function()
        elapsed = time.perf_counter() - started
        times.append(elapsed)
        spent += elapsed
    return times


def consume(response) -> int:
    """Read the whole body, as a server writing it to a socket would; returns its size."""
    if response.streaming:
        size = 0
        for chunk in response.streaming_content:
            size += len(chunk)
        response.close()
        return size
    return len(response.content)


def sql_rows(*statements: tuple[str, list]) -> Callable[[], list]:
    """A floor: run each (sql, params) and fetch every row."""

    def run() -> list:
        rows = []
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                rows.extend(cursor.fetchall())
        return rows

    return run


# --- Subjects -------------------------------------------------------------------------


@dataclass
class Subjects:
    network: Network  # most membership spells
    small_network: Network  # fewest spells (at least one), with codings if any network has them
    city: City  # most membership spells
    small_city: City  # fewest spells among coded places


def find_subjects() -> Subjects:
    networks = Network.objects.annotate(n=Count("memberships")).filter(n__gt=0)
    network = networks.order_by("-n", "pk").first()
    if network is None:
        raise ValueError("No network has members: load data first (load_citynet, generate_synthetic).")
    coded_networks = networks.filter(pk__in=Coding.objects.filter(city__isnull=False).values("network"))
    small_network = (coded_networks.exists() and coded_networks or networks).order_by("n", "pk").first()
    cities = City.objects.annotate(n=Count("memberships")).filter(n__gt=0)
    city = cities.order_by("-n", "pk").first()
    coded = cities.filter(pk__in=Coding.objects.values("city"))
    small_city = (coded.exists() and coded or cities).order_by("n", "pk").first()
    return Subjects(network=network, small_network=small_network, city=city, small_city=small_city)


# --- Floors: the rows each page needs, in hand-written SQL ------------------------------------


def floor_city_list(network: Network) -> Callable[[], list]:
    members = "SELECT m.city_id FROM networks_membership m WHERE m.network_id = %s"
    return sql_rows(
        (f"SELECT COUNT(*) FROM cities_city c WHERE c.id IN ({members})", [network.pk]),
        (
            "SELECT c.id, c.name, c.slug, c.country, c.kind, c.population, "
            "(SELECT COUNT(*) FROM networks_membership n WHERE n.city_id = c.id) "
            f"FROM cities_city c WHERE c.id IN ({members}) ORDER BY c.name, c.country, c.id LIMIT 100",
            [network.pk],
        ),
    )


CODINGS_WITH_EVIDENCE = (
    "SELECT co.id, co.city_id, ci.name, ci.slug, ci.country, co.network_id, n.name, n.slug, n.acronym, "
    "k.code, k.name, k.kind, k.position, co.salience, co.outcome, co.perspective, co.coded_at, cr.name, "
    "e.id, e.kind, e.text, e.locator, s.label, s.citation "
    "FROM networks_coding co "
    "LEFT JOIN cities_city ci ON ci.id = co.city_id "
    "JOIN networks_network n ON n.id = co.network_id "
    "JOIN networks_code k ON k.id = co.code_id "
    "JOIN networks_coder cr ON cr.id = co.coder_id "
    "LEFT JOIN networks_evidence e ON e.coding_id = co.id "
    "LEFT JOIN networks_source s ON s.id = e.source_id "
)
CURRENT_CODES = (
    "SELECT k.id, k.code, k.name, k.kind, k.position FROM networks_code k "
    "JOIN networks_codebookversion v ON v.id = k.version_id WHERE v.is_current ORDER BY k.kind, k.position",
    [],
)


def floor_city_profile(city: City) -> Callable[[], list]:
    return sql_rows(
        ("SELECT * FROM cities_city WHERE slug = %s", [city.slug]),
        (
            "SELECT m.id, m.type, m.joined, m.joined_precision, m.left, m.left_precision, m.application_round, "
            "m.took_effect, m.listed_on, m.note, n.name, n.slug, n.acronym, s.label, s.citation, s.url "
            "FROM networks_membership m JOIN networks_network n ON n.id = m.network_id "
            "JOIN networks_source s ON s.id = m.source_id WHERE m.city_id = %s ORDER BY n.name, m.joined, m.id",
            [city.pk],
        ),
        (
            CODINGS_WITH_EVIDENCE
            + "WHERE co.city_id = %s ORDER BY n.name, k.kind, k.position, co.id, e.position, e.id",
            [city.pk],
        ),
        (
            "SELECT p.id, p.unit, p.unit_kind, p.involvement, p.note, p.locator, n.name, sn.name, s.label "
            "FROM networks_participation p JOIN networks_network n ON n.id = p.network_id "
            "LEFT JOIN networks_subnetwork sn ON sn.id = p.subnetwork_id JOIN networks_source s ON s.id = p.source_id "
            "WHERE p.city_id = %s ORDER BY n.name, sn.name, p.unit",
            [city.pk],
        ),
        (
            "SELECT o.id, o.observed_on, o.observed_precision, o.approximate, o.level, o.is_peak, o.note, o.locator, "
            "n.name, n.slug, s.label FROM networks_engagementobservation o "
            "JOIN networks_network n ON n.id = o.network_id JOIN networks_source s ON s.id = o.source_id "
            "WHERE o.city_id = %s ORDER BY n.name, o.observed_on",
            [city.pk],
        ),
        CURRENT_CODES,
    )


def floor_network_profile(network: Network) -> Callable[[], list]:
    """The rows the network page shows: the network, its sub-networks, the first page of 100
    spells and their count, every member place for the map, the network's own codings and the
    first 50 member codings with evidence (and their count), what it offers and its members use
    (summed up per function), the codebook."""
    own_and_used = (
        "SELECT co.city_id, ci.slug, ci.name, k.code, MAX(co.salience) FROM networks_coding co "
        "JOIN networks_code k ON k.id = co.code_id LEFT JOIN cities_city ci ON ci.id = co.city_id "
        "WHERE co.network_id = %s AND k.kind = 'function' AND (co.city_id IS NULL OR co.perspective = 'city') "
        "GROUP BY co.city_id, ci.slug, ci.name, k.code"
    )
    return sql_rows(
        ("SELECT * FROM networks_network WHERE slug = %s", [network.slug]),
        ("SELECT * FROM networks_subnetwork WHERE network_id = %s ORDER BY kind, name", [network.pk]),
        ("SELECT COUNT(*) FROM networks_membership WHERE network_id = %s", [network.pk]),
        (
            "SELECT m.id, m.type, m.joined, m.joined_precision, m.left, m.left_precision, m.took_effect, "
            "c.name, c.slug, c.country, c.kind, s.label, s.url "
            "FROM networks_membership m JOIN cities_city c ON c.id = m.city_id "
            "JOIN networks_source s ON s.id = m.source_id WHERE m.network_id = %s "
            "ORDER BY c.name, m.joined, m.id LIMIT 100",
            [network.pk],
        ),
        (
            "SELECT DISTINCT c.id, c.slug, c.name, c.country, c.kind, c.latitude, c.longitude "
            "FROM networks_membership m JOIN cities_city c ON c.id = m.city_id "
            "WHERE m.network_id = %s AND m.took_effect",
            [network.pk],
        ),
        (CODINGS_WITH_EVIDENCE + "WHERE co.network_id = %s AND co.city_id IS NULL", [network.pk]),
        (
            CODINGS_WITH_EVIDENCE + "WHERE co.id IN (SELECT c2.id FROM networks_coding c2 "
            "JOIN networks_code k2 ON k2.id = c2.code_id JOIN cities_city ci2 ON ci2.id = c2.city_id "
            "WHERE c2.network_id = %s ORDER BY k2.kind, k2.position, ci2.name, c2.id LIMIT 50)",
            [network.pk],
        ),
        ("SELECT COUNT(*) FROM networks_coding WHERE network_id = %s AND city_id IS NOT NULL", [network.pk]),
        (own_and_used, [network.pk]),
        CURRENT_CODES,
    )


def floor_matrix(network: Network) -> Callable[[], list]:
    return sql_rows(
        (
            CODINGS_WITH_EVIDENCE + "WHERE co.network_id = %s AND co.city_id IS NOT NULL "
            "ORDER BY ci.name, co.city_id, k.kind, k.position, co.id, e.position, e.id",
            [network.pk],
        ),
        CURRENT_CODES,
    )


def floor_compare(network: Network) -> Callable[[], list]:
    """The rows the comparison page shows: the network's coded cities (their count, and the
    first page of 50 by name), their codings with evidence, the networks for the select."""
    coded = (
        "SELECT c.id FROM cities_city c WHERE c.id IN "
        "(SELECT co.city_id FROM networks_coding co WHERE co.network_id = %s)"
    )
    return sql_rows(
        (f"SELECT COUNT(*) FROM ({coded}) AS coded", [network.pk]),
        (
            "SELECT c.id, c.slug, c.name FROM cities_city c WHERE c.id IN "
            "(SELECT co.city_id FROM networks_coding co WHERE co.network_id = %s) ORDER BY c.name LIMIT 50",
            [network.pk],
        ),
        (
            CODINGS_WITH_EVIDENCE + "WHERE co.network_id = %s AND co.city_id IN (SELECT c.id FROM cities_city c "
            "WHERE c.id IN (SELECT co2.city_id FROM networks_coding co2 WHERE co2.network_id = %s) "
            "ORDER BY c.name LIMIT 50) ORDER BY ci.name, k.kind, k.position, co.id, e.position, e.id",
            [network.pk, network.pk],
        ),
        CURRENT_CODES,
        ("SELECT slug, name FROM networks_network ORDER BY name", []),
    )


MEMBERSHIP_ROWS = (
    "SELECT m.id, c.slug, c.name, c.country, c.kind, n.slug, n.name, m.type, m.joined, m.joined_precision, "
    "m.left, m.left_precision, m.application_round, m.took_effect, m.listed_on, m.source_id, s.label, "
    "s.citation, s.url, m.note, m.created_at, m.updated_at "
    "FROM networks_membership m JOIN cities_city c ON c.id = m.city_id "
    "JOIN networks_network n ON n.id = m.network_id JOIN networks_source s ON s.id = m.source_id "
)


def floor_membership_list(network: Network) -> Callable[[], list]:
    return sql_rows(
        ("SELECT COUNT(*) FROM networks_membership WHERE network_id = %s", [network.pk]),
        (MEMBERSHIP_ROWS + "WHERE m.network_id = %s ORDER BY n.name, c.name, m.joined, m.id LIMIT 50", [network.pk]),
    )


def floor_city_api_list(network: Network) -> Callable[[], list]:
    members = "SELECT m.city_id FROM networks_membership m WHERE m.network_id = %s"
    return sql_rows(
        (f"SELECT COUNT(*) FROM cities_city c WHERE c.id IN ({members})", [network.pk]),
        (
            "SELECT c.*, (SELECT COUNT(*) FROM networks_membership n WHERE n.city_id = c.id) "
            f"FROM cities_city c WHERE c.id IN ({members}) ORDER BY c.name, c.country, c.id LIMIT 50",
            [network.pk],
        ),
    )


def floor_csv() -> list:
    """Every membership row, fetched in chunks as a streaming export reads them."""
    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(MEMBERSHIP_ROWS + "ORDER BY n.name, c.name, m.joined, m.id", [])
        while chunk := cursor.fetchmany(2000):
            rows += len(chunk)
    return [rows]


def cases(subjects: Subjects) -> list[Case]:
    network, small = subjects.network, subjects.small_network
    return [
        Case(
            "City list filtered by network (HTML)",
            f"/cities/?network={network.slug}",
            f"/cities/?network={small.slug}",
            floor_city_list(network),
            "html-list",
        ),
        Case(
            "City profile, most memberships (HTML)",
            subjects.city.get_absolute_url(),
            subjects.small_city.get_absolute_url(),
            floor_city_profile(subjects.city),
            "profile",
        ),
        Case(
            "Network profile, largest network (HTML)",
            network.get_absolute_url(),
            small.get_absolute_url(),
            floor_network_profile(network),
            "profile",
        ),
        Case(
            "Comparison page, largest network (HTML)",
            f"/compare/?network={network.slug}",
            f"/compare/?network={small.slug}",
            floor_compare(network),
            "html-list",
        ),
        Case(
            "API memberships, filtered, 50 rows + count",
            f"/api/v1/memberships/?network={network.slug}",
            f"/api/v1/memberships/?network={small.slug}",
            floor_membership_list(network),
            "api-list",
        ),
        Case(
            "API cities, filtered, 50 rows + count",
            f"/api/v1/cities/?network={network.slug}",
            f"/api/v1/cities/?network={small.slug}",
            floor_city_api_list(network),
            "api-list",
        ),
        Case(
            "API matrix, largest network",
            f"/api/v1/matrix/?network={network.slug}",
            f"/api/v1/matrix/?network={small.slug}",
            floor_matrix(network),
            "floor-ratio",
        ),
    ]


# --- Measuring ------------------------------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    """The queries building the response runs (with the cache emptied: a cached response runs one)."""
    caching.clear()
    with CaptureQueriesContext(connection) as queries:
        consume(client.get(url, secure=True))
    return len(queries)


def measure(client: Client, case: Case, repeat: int, budget: float, cold: int = 5) -> Result:
    result = Result(name=case.name, url=case.url, target=case.target)
    response = client.get(case.url, secure=True)
    result.status = response.status_code
    result.bytes = consume(response)
    if result.status != 200:
        raise RuntimeError(f"{case.url} answered {result.status}, not 200")
    times = timed(lambda: consume(client.get(case.url, secure=True)), repeat, budget)
    result.samples = len(times)
    result.p50_ms = 1000 * statistics.median(times)
    result.p95_ms = 1000 * percentile(times, 0.95)
    if cold:
        # Cold: the first request after a write, when citynet.caching has nothing to give.
        cold_times = timed(lambda: (caching.clear(), consume(client.get(case.url, secure=True))), cold, budget)
        result.cold_p50_ms = 1000 * statistics.median(cold_times)
        result.cold_p95_ms = 1000 * percentile(cold_times, 0.95)
    result.queries = count_queries(client, case.url)
    if case.small_url:
        result.queries_small = count_queries(client, case.small_url)
    if case.floor:
        result.floor_rows = len(case.floor())
        floor_times = timed(case.floor, repeat, budget)
        result.floor_p50_ms = 1000 * statistics.median(floor_times)
        result.floor_p95_ms = 1000 * percentile(floor_times, 0.95)
    judge(result)
    return result


def judge(result: Result) -> None:
    """Fill `result.checks`: each target of issue 6 that applies, met or not."""
    if result.target == "api-list":
        result.checks[f"p50 <= {API_LIST_MS} ms"] = result.p50_ms <= API_LIST_MS
    elif result.target == "html-list":
        result.checks[f"p50 <= {HTML_LIST_MS} ms"] = result.p50_ms <= HTML_LIST_MS
    elif result.target == "profile":
        result.checks[f"p50 <= {PROFILE_MS} ms"] = result.p50_ms <= PROFILE_MS
    elif result.target == "floor-ratio" and result.floor_p50_ms:
        result.checks[f"p50 <= {MATRIX_FLOOR_RATIO:g} x floor"] = (
            result.p50_ms <= MATRIX_FLOOR_RATIO * result.floor_p50_ms
        )
    if result.queries_small is not None:
        result.checks["queries do not grow with the data"] = result.queries == result.queries_small


def rss_kb(field_name: str) -> int | None:
    """A line of /proc/self/status in kB (VmRSS now, VmHWM the peak), where Linux has it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM), so the next peak is this step's own."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


def measure_csv(client: Client, repeat: int, budget: float) -> Result:
    """The CSV export of every membership: time, rows per second, and peak memory."""
    url = "/api/v1/memberships/?format=csv"
    result = Result(name="CSV export, all memberships", url=url, target="csv")
    rows = Membership.objects.count()

    def export() -> int:
        response = client.get(url, secure=True)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}, not 200")
        return consume(response)

    result.status = 200
    times = timed(export, max(1, min(repeat, 5)), budget, warmup=0)
    result.samples = len(times)
    result.p50_ms = 1000 * statistics.median(times)
    result.p95_ms = 1000 * percentile(times, 0.95)
    result.bytes = export()
    # Memory: the process's resident growth (kernel peak mark) on one run, then Python's own
    # peak allocations (tracemalloc, which slows the run, so on a separate run).
    baseline = rss_kb("VmRSS")
    peak_rss_growth_mb = None
    if baseline is not None and reset_peak_rss():
        export()
        peak_rss_growth_mb = (rss_kb("VmHWM") - baseline) / 1024
    tracemalloc.start()
    export()
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result.floor_rows = rows
    floor_times = timed(floor_csv, max(1, min(repeat, 5)), budget, warmup=0)
    result.floor_p50_ms = 1000 * statistics.median(floor_times)
    result.floor_p95_ms = 1000 * percentile(floor_times, 0.95)
    rows_per_second = rows / (result.p50_ms / 1000)
    peak_mb = max(python_peak / 2**20, peak_rss_growth_mb or 0)
    result.extra = {
        "rows": rows,
        "rows_per_second": round(rows_per_second),
        "python_peak_mb": round(python_peak / 2**20, 1),
        "rss_growth_mb": None if peak_rss_growth_mb is None else round(peak_rss_growth_mb, 1),
        "floor_rows_per_second": round(rows / (result.floor_p50_ms / 1000)),
    }
    result.checks[f">= {CSV_ROWS_PER_SECOND:,} rows/s"] = rows_per_second >= CSV_ROWS_PER_SECOND
    result.checks[f"peak memory < {CSV_PEAK_MB} MB"] = peak_mb < CSV_PEAK_MB
    return result


def data_counts() -> dict[str, int]:
    return {
        "cities": City.objects.count(),
        "networks": Network.objects.count(),
        "memberships": Membership.objects.count(),
        "codings": Coding.objects.count(),
        "evidence": Evidence.objects.count(),
        "largest_network_spells": Membership.objects.filter(
            network=Network.objects.annotate(n=Count("memberships")).order_by("-n").values("pk")[:1]
        ).count(),
        "synthetic_cities": City.objects.filter(slug__startswith="synthetic-").count(),
        "coded_places_in_largest_network": 0,
    }


def run(*, repeat: int = 20, budget: float = 20.0, cold: int = 5, only: list[str] | None = None, progress=None) -> dict:
    """Time every case; returns {"environment", "data", "subjects", "results": [Result as dict]}."""
    progress = progress or (lambda message: None)
    subjects = find_subjects()
    data = data_counts()
    data["coded_places_in_largest_network"] = (
        Coding.objects.filter(network=subjects.network, city__isnull=False).values("city").distinct().count()
    )
    environment = {
        "database": connection.vendor,
        "database_version": database_version(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "method": "in-process django.test.Client: server time without network or HTTP server",
        "repeat": repeat,
        "cold_repeat": cold,
    }
    results = []
    with ExitStack() as stack:
        # As in production (DEBUG off: no query log). The test client's host, over HTTPS so the
        # SSL redirect does not answer instead of the page. The API's throttle still runs, with
        # a rate a benchmark cannot reach.
        stack.enter_context(override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]))
        stack.enter_context(
            mock.patch.dict(SimpleRateThrottle.THROTTLE_RATES, {"anon": "100000000/min", "user": "100000000/min"})
        )
        client = Client()
        for case in cases(subjects):
            if only and not any(word.lower() in case.name.lower() for word in only):
                continue
            progress(f"{case.name}: {case.url}")
            results.append(measure(client, case, repeat, budget, cold))
            progress(f"  {line(results[-1])}")
        if not only or any(word.lower() in "csv export" for word in only):
            progress("CSV export of every membership")
            results.append(measure_csv(client, repeat, budget * 2))
            progress(f"  {line(results[-1])}")
    environment["load_average_after"] = os.getloadavg()
    return {
        "environment": environment,
        "data": data,
        "subjects": {
            "network": subjects.network.slug,
            "small_network": subjects.small_network.slug,
            "city": subjects.city.slug,
            "small_city": subjects.small_city.slug,
        },
        "results": [{**asdict(result), "met": result.met} for result in results],
    }


def database_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SELECT version()")
        return cursor.fetchone()[0].split(" on ")[0]


def line(result: Result) -> str:
    floor = f", floor {result.floor_p50_ms:.1f} ms" if result.floor_p50_ms is not None else ""
    verdict = "met" if result.met else "NOT MET"
    return f"p50 {result.p50_ms:.1f} ms, p95 {result.p95_ms:.1f} ms{floor}, {result.queries} queries: {verdict}"


def table(report: dict) -> str:
    """The report as a plain-text table."""
    environment = report["environment"]
    head = (
        f"{environment['database']} {environment['database_version']}, Django {environment['django']}, "
        f"{environment['cpus']} CPUs, load {environment['load_average_before'][0]:.2f}; {environment['method']}"
    )
    data = ", ".join(f"{name} {value:,}" for name, value in report["data"].items())
    columns = [
        "case",
        "n",
        "p50 ms",
        "p95 ms",
        "cold p50",
        "floor p50",
        "x floor",
        "cold x floor",
        "queries",
        "small",
        "KB",
        "target",
        "verdict",
    ]
    rows = []
    for result in report["results"]:
        floor, cold = result["floor_p50_ms"], result["cold_p50_ms"]
        rows.append(
            [
                result["name"],
                str(result["samples"]),
                f"{result['p50_ms']:.1f}",
                f"{result['p95_ms']:.1f}",
                "" if cold is None else f"{cold:.1f}",
                "" if floor is None else f"{floor:.1f}",
                "" if not floor else f"{result['p50_ms'] / floor:.2f}",
                "" if not floor or cold is None else f"{cold / floor:.2f}",
                "" if result["queries"] is None else str(result["queries"]),
                "" if result["queries_small"] is None else str(result["queries_small"]),
                f"{result['bytes'] / 1024:,.0f}",
                "; ".join(result["checks"]),
                "met" if result["met"] else "NOT MET",
            ]
        )
    widths = [max(len(column), *(len(row[index]) for row in rows)) for index, column in enumerate(columns)]
    lines = [head, data, ""]
    lines.append("  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True)))
    lines.append("  ".join("-" * width for width in widths))
    for row in rows:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    for result in report["results"]:
        if result["extra"]:
            extra = ", ".join(
                f"{name} {value:,}" if value is not None else f"{name} n/a" for name, value in result["extra"].items()
            )
            lines.append(f"{result['name']}: {extra}")
    met = sum(result["met"] for result in report["results"])
    lines.append(
        "p50/p95: repeated requests (pages cached by citynet.caching are served from the cache); cold: the "
        "cache emptied before each request, as after a write. Targets are judged on p50."
    )
    lines.append(f"{met} of {len(report['results'])} cases meet every target.")
    if environment["database"] != "postgresql":
        lines.append(
            "The targets are set for PostgreSQL, the production database; on "
            f"{environment['database']} (no response cache) the figures are for comparison."
        )
    return "\n".join(lines)
