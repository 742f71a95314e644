"""Server-side latency of Citynet's heaviest pages and endpoints, against the raw-SQL floor.

`run()` finds the subjects in the database (the network with the most membership spells, the
place with the most, and small ones to compare query counts with), then for each case sends
repeated GET requests through Django's test `Client`, in process: the time measured is the
server's whole handling of the request (URL routing, middleware, views, queries, rendering, and
for a streamed response every chunk of the body), without a network or an HTTP server. Each case
has a floor (`networks.tooling.floors`): hand-written SQL run through `connection.cursor()`
that fetches the same rows the page needs, timed the same way. Targets are those of issue 6
for repeated requests and of issue 15 for cold ones (the cache emptied, as after a write):
PostgreSQL, default scale; on SQLite the cold targets are twice as loose.
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
from networks.tooling.floors import floor_city_api_list
from networks.tooling.floors import floor_city_list
from networks.tooling.floors import floor_city_profile
from networks.tooling.floors import floor_compare
from networks.tooling.floors import floor_csv
from networks.tooling.floors import floor_matrix
from networks.tooling.floors import floor_membership_list
from networks.tooling.floors import floor_network_profile

API_LIST_MS = 20
HTML_LIST_MS = 40
PROFILE_MS = 60
MATRIX_FLOOR_RATIO = 2.0
# Issue 15: the pages built from an empty cache (the first request after any write).
COLD_CITY_PROFILE_MS = 100
COLD_NETWORK_PROFILE_MS = 150
COLD_COMPARISON_MS = 100
COLD_MATRIX_FLOOR_RATIO = 1.5
COLD_SQLITE_SLACK = 2.0  # "within 2x of those on SQLite"
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
    cold_ms: float | None = None  # issue 15's cold p50 target on PostgreSQL
    cold_floor_ratio: float | None = None  # or as a multiple of the floor


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
    cold_cpu_p50_ms: float | None = None  # this process's CPU time, without the database server's
    cold_target_ms: float | None = None
    cold_target_floor_ratio: float | None = None
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
            cold_ms=COLD_CITY_PROFILE_MS,
        ),
        Case(
            "Network profile, largest network (HTML)",
            network.get_absolute_url(),
            small.get_absolute_url(),
            floor_network_profile(network),
            "profile",
            cold_ms=COLD_NETWORK_PROFILE_MS,
        ),
        Case(
            "Comparison page, largest network (HTML)",
            f"/compare/?network={network.slug}",
            f"/compare/?network={small.slug}",
            floor_compare(network),
            "html-list",
            cold_ms=COLD_COMPARISON_MS,
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
            cold_floor_ratio=COLD_MATRIX_FLOOR_RATIO,
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
    if cold:
        slack = COLD_SQLITE_SLACK if connection.vendor == "sqlite" else 1.0
        result.cold_target_ms = case.cold_ms and case.cold_ms * slack
        result.cold_target_floor_ratio = case.cold_floor_ratio and case.cold_floor_ratio * slack
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
        cpu_times = []

        def cold_request() -> None:
            caching.clear()
            started = time.process_time()
            consume(client.get(case.url, secure=True))
            cpu_times.append(time.process_time() - started)

        cold_times = timed(cold_request, cold, budget)
        result.cold_p50_ms = 1000 * statistics.median(cold_times)
        result.cold_p95_ms = 1000 * percentile(cold_times, 0.95)
        result.cold_cpu_p50_ms = 1000 * statistics.median(cpu_times[-len(cold_times) :])
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
    """Fill `result.checks`: each target of issue 6 (repeated requests) and of issue 15 (cold)
    that applies, met or not."""
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
    if result.cold_p50_ms is not None and result.cold_target_ms:
        result.checks[f"cold p50 <= {result.cold_target_ms:g} ms"] = result.cold_p50_ms <= result.cold_target_ms
    if result.cold_p50_ms is not None and result.cold_target_floor_ratio and result.floor_p50_ms:
        result.checks[f"cold p50 <= {result.cold_target_floor_ratio:g} x floor"] = (
            result.cold_p50_ms <= result.cold_target_floor_ratio * result.floor_p50_ms
        )
    if result.queries_small is not None:
        # At most the small subject's: a list may skip a query its data do not need (a small
        # real network's sources cite a study, whose citation is then looked up; the
        # synthetic largest network's do not), but none may add one as the data grow.
        result.checks["queries do not grow with the data"] = result.queries <= result.queries_small


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
        "cold p95",
        "cold cpu",
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
        floor, cold, cold_p95 = result["floor_p50_ms"], result["cold_p50_ms"], result["cold_p95_ms"]
        rows.append(
            [
                result["name"],
                str(result["samples"]),
                f"{result['p50_ms']:.1f}",
                f"{result['p95_ms']:.1f}",
                "" if cold is None else f"{cold:.1f}",
                "" if cold_p95 is None else f"{cold_p95:.1f}",
                "" if result.get("cold_cpu_p50_ms") is None else f"{result['cold_cpu_p50_ms']:.1f}",
                "" if floor is None else f"{floor:.1f}",
                "" if not floor else f"{result['p50_ms'] / floor:.2f}",
                "" if not floor or cold is None else f"{cold / floor:.2f}",
                "" if result["queries"] is None else str(result["queries"]),
                "" if result["queries_small"] is None else str(result["queries_small"]),
                f"{result['bytes'] / 1024:,.0f}",
                "; ".join(check if met else f"{check} (NOT MET)" for check, met in result["checks"].items()),
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
        "cache emptied before each request, as after a write; cold cpu: this process's CPU time in a cold "
        "request (p50), without the database server's, which varies less than the time on a busy machine. "
        "Targets are judged on p50: issue 6's on repeated requests, issue 15's on cold ones."
    )
    lines.append(f"{met} of {len(report['results'])} cases meet every target.")
    if environment["database"] != "postgresql":
        lines.append(
            "The targets are set for PostgreSQL, the production database; on "
            f"{environment['database']} the cold ones are {COLD_SQLITE_SLACK:g} times as loose and the "
            "others are for comparison."
        )
    return "\n".join(lines)
