"""The health endpoint for load balancers and monitoring (README, "Health and logs").

`/healthz` answers JSON `{"status": ..., "checks": {...}}`:

- `database`: `SELECT 1` on the primary;
- `migrations`: no migration left to apply (checked until it is true once, then remembered for
  the life of the process: loading the migration graph costs tens of milliseconds);
- `cache`: a short-lived key written, read back and deleted in the "default" cache (Redis when
  REDIS_URL is set: an outage there makes it read nothing back);
- `replica`, only where settings.DATABASES has one: `SELECT 1` now, and whether the site reads
  from it (citynet.replica: PostgreSQL, and at most DATABASE_REPLICA_MAX_LAG seconds behind), with
  how far behind it is by the data version (0: in step). Not the age of the last transaction
  replayed (pg_last_xact_replay_timestamp), which grows while the primary has nothing to send.

Status 200 with `ok`, or `degraded` when only the cache or the replica fails (the site still
works: without Redis it serves from the database, without the replica it reads from the
primary); 503 with `fail` when the primary database or the migrations fail. A
failed check names the exception's class only, never its message, which may hold a host name
or a user name; the full error goes to the log with the request id. Never cached, not
throttled (not an API view), and served over plain HTTP (SECURE_REDIRECT_EXEMPT), as probes
do not follow redirects. ALLOWED_HOSTS still applies: a probe sends an allowed Host header.

`/healthz/live` touches nothing: it says the process answers, for a liveness probe that must
not restart the server because the database is down.
"""

import logging
import time
import uuid
from collections.abc import Callable

from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from citynet import replica

REPLICA = "replica"
# Failing these makes the site fail; failing the others only makes it slower.
ESSENTIAL = ("database", "migrations")
OK, DEGRADED, FAIL = "ok", "degraded", "fail"

logger = logging.getLogger("citynet.health")
# Set once the migrations check passes, for the life of the process (see the module docstring).
migrations_applied = False


@never_cache
@require_safe
def health(request):
    checks = {
        "database": run_check("database", check_database, connections[DEFAULT_DB_ALIAS]),
        "migrations": run_check("migrations", check_migrations, connections[DEFAULT_DB_ALIAS]),
        "cache": run_check("cache", check_cache, caches["default"]),
    }
    replica_database = replica_connection()
    if replica_database is not None:
        checks["replica"] = run_check("replica", check_replica, replica_database)
    failed = {name for name, result in checks.items() if result["status"] != OK}
    status = FAIL if failed.intersection(ESSENTIAL) else DEGRADED if failed else OK
    return JsonResponse({"status": status, "checks": checks}, status=503 if status == FAIL else 200)


@never_cache
@require_safe
def live(request):
    return JsonResponse({"status": OK})


urlpatterns = [
    path("healthz", health, name="health"),
    path("healthz/live", live, name="health_live"),
]


def run_check(name: str, check: Callable[..., dict], subject) -> dict:
    """`{"status": "ok", "ms": …, **what the check adds}`, or `{"status": "fail", "ms": …,
    "error": <exception class>}` with the exception logged."""
    started = time.perf_counter()
    try:
        result = {"status": OK, **check(subject)}
    except Exception as error:
        level = logging.WARNING if name not in ESSENTIAL else logging.ERROR
        logger.log(level, "health check %s failed", name, exc_info=True)
        result = {"status": FAIL, "error": type(error).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_database(connection) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


class MigrationsPending(Exception):
    """Migrations are left to apply: the code expects tables or columns the database lacks."""


def check_migrations(connection) -> dict:
    global migrations_applied
    if not migrations_applied:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            raise MigrationsPending(f"{len(plan)} migrations to apply")
        migrations_applied = True
    return {}


class CacheMismatch(Exception):
    """The cache accepted a value but gave back another (or none): it keeps nothing."""


def check_cache(cache) -> dict:
    # A key of its own per probe, so that workers sharing one Redis never read each other's.
    key, value = f"citynet:health:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=30)
    try:
        if cache.get(key) != value:
            raise CacheMismatch("the value read back differs from the one written")
    finally:
        cache.delete(key)
    return {}


def replica_connection():
    """The replica's connection, where settings.DATABASES has one (DATABASE_REPLICA_URL)."""
    return connections[REPLICA] if REPLICA in connections.settings else None


class ReplicaNotInUse(Exception):
    """The replica answers, but reads go to the primary (too far behind, or not PostgreSQL)."""


def check_replica(connection) -> dict:
    """`{"lag_seconds": …}` while the site reads from the replica. The routing's own finding
    (citynet.replica.status(), at most a second old) says why not; only the log gets its reason,
    which may quote a connection error."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    state = replica.status()
    if not state.serving:
        raise ReplicaNotInUse(state.reason)
    return {"lag_seconds": state.lag_seconds}
