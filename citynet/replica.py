"""Reads from a PostgreSQL streaming replica (DATABASE_REPLICA_URL), never staler than
DATABASE_REPLICA_MAX_LAG seconds, and never an error page when the replica fails.

Who reads there: GET and HEAD requests without a session cookie or an Authorization header,
outside the admin — decided from the request alone, before any query, because looking up a
session on a replica could miss one made a moment ago. Everyone signed in (editors reading
their own writes), every write and every other request reads the primary (citynet.db_routers).

How far behind: each server process compares the data version (citynet.dataversion) of the two
databases, at most once every CHECK_SECONDS. The version row replicates with the data it
counts, so equal versions mean the replica serves exactly what the primary holds. Otherwise the
replica has been behind since the first write it lacks: when it lacks one write, since that
write (the primary's `changed_at`); when it lacks several, at most since its own last one. Over
the limit, or when the replica cannot be reached, reads go to the primary; an unreachable
replica is tried again after RETRY_SECONDS.

The page cache and the API's ETags use the version of the database the page is read from
(citynet.caching.data_version asks the router), so nothing cached claims newer data than it shows.

When the replica fails during a request (it went down since the last check, a query was
cancelled by recovery), the request is answered from the primary, never with an error page: the
middleware reads the data version from the replica first, so a lost connection shows before
anything else runs; a failure in the view (or its template) calls the view again on the
primary. Only GET and HEAD reach the replica, so calling a view twice changes nothing. Nothing
after this middleware but the view reads the database for such a request; a middleware that
did would need the same care. A streamed body (CSV) that fails half-way cannot be taken back.
"""

import datetime
import logging
import time
from dataclasses import asdict
from dataclasses import dataclass

from django.conf import settings
from django.core.checks import Warning
from django.core.checks import register
from django.core.exceptions import MiddlewareNotUsed
from django.core.signals import request_finished
from django.db import DatabaseError
from django.db import connections
from django.urls import reverse

from citynet import caching
from citynet.db_routers import PRIMARY
from citynet.db_routers import REPLICA
from citynet.db_routers import Route
from citynet.db_routers import current_route
from citynet.models import DataVersion

logger = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
RETRY_SECONDS = 10.0
POSTGRESQL = "django.db.backends.postgresql"
READS = ("GET", "HEAD")


@dataclass(frozen=True)
class Status:
    """What this process last found out about the replica (`status()`)."""

    configured: bool  # DATABASE_REPLICA_URL names a PostgreSQL replica of a PostgreSQL primary
    serving: bool  # reads by visitors not signed in go to it now
    reason: str  # why, in words
    lag_seconds: float | None = None  # how far behind (0: in step; None: not known)
    max_lag_seconds: float | None = None
    in_recovery: bool | None = None  # a standby replaying the primary's WAL (False: promoted, or not a replica)
    checked_at: datetime.datetime | None = None
    monotonic: float = 0.0  # when, by this process's clock (for the next check)

    def as_dict(self) -> dict:
        """For a health report: JSON-ready."""
        values = asdict(self)
        del values["monotonic"]
        values["checked_at"] = self.checked_at.isoformat() if self.checked_at else None
        return values


NOT_CONFIGURED = Status(configured=False, serving=False, reason="no DATABASE_REPLICA_URL")
_last: Status | None = None


def configured(databases: dict | None = None) -> bool:
    """Whether there is a replica to route to: a PostgreSQL one, of a PostgreSQL primary."""
    databases = settings.DATABASES if databases is None else databases
    return REPLICA in databases and {databases[PRIMARY]["ENGINE"], databases[REPLICA]["ENGINE"]} == {POSTGRESQL}


def status(refresh: bool = False) -> Status:
    """The replica's state as this process knows it, checked again when older than
    CHECK_SECONDS (RETRY_SECONDS after a failure), or now with `refresh`. Costs nothing between
    checks; a check is two small queries on each database."""
    global _last
    if not configured():
        return NOT_CONFIGURED
    last = _last
    if not refresh and last is not None:
        # in_recovery is known once the replica answered; a replica that did not is left alone longer.
        wait = CHECK_SECONDS if last.in_recovery is not None else RETRY_SECONDS
        if time.monotonic() - last.monotonic < wait:
            return last
    found = check()
    if last is None or found.serving != last.serving:
        log = logger.info if found.serving else logger.warning
        log("read replica %s: %s", "in use" if found.serving else "not in use", found.reason)
    _last = found
    return found


def forget() -> None:
    """Check again at the next request (tests; after a failover)."""
    global _last
    _last = None


def check() -> Status:
    """Compare the two databases' data versions now (see the module's docstring)."""
    max_lag = float(settings.DATABASE_REPLICA_MAX_LAG)
    known = {"configured": True, "max_lag_seconds": max_lag, "monotonic": time.monotonic()}
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            (now,) = cursor.fetchone()
        primary = version_row(PRIMARY)
    except Exception as error:  # noqa: BLE001 — any failure means: do not use the replica
        return Status(serving=False, reason=f"the primary could not be asked: {describe(error)}", **known)
    known["checked_at"] = now
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            (in_recovery,) = cursor.fetchone()
        replica = version_row(REPLICA)
    except Exception as error:  # noqa: BLE001 — unreachable, refused, not this database...
        close_replica()
        return Status(serving=False, reason=f"the replica could not be read: {describe(error)}", **known)
    known["in_recovery"] = in_recovery
    lag = lag_seconds(primary, replica, now)
    if lag is None:
        return Status(serving=False, reason="the replica holds none of the primary's writes", **known)
    if lag == 0:
        return Status(serving=True, reason="in step with the primary", lag_seconds=0.0, **known)
    if lag < max_lag:
        return Status(serving=True, reason=f"{lag:.1f} s behind (limit {max_lag:g} s)", lag_seconds=lag, **known)
    return Status(serving=False, reason=f"{lag:.1f} s behind, over the {max_lag:g} s limit", lag_seconds=lag, **known)


def version_row(using: str) -> tuple | None:
    return DataVersion.objects.using(using).filter(pk=1).values_list("epoch", "counter", "changed_at").first()


def lag_seconds(primary: tuple | None, replica: tuple | None, now: datetime.datetime) -> float | None:
    """Seconds since the replica last showed what the primary holds: 0 when their versions
    agree; None when the replica has no version while the primary has one."""
    if primary == replica:
        return 0.0
    if replica is None:
        return None
    if primary is not None and primary[0] == replica[0] and primary[1] == replica[1] + 1:
        since = primary[2]  # one write missing: the replica is behind since that write
    else:
        since = replica[2]  # several: since one made after its own last write, so at most since that
    return max((now - since).total_seconds(), 1e-3)


def describe(error: Exception) -> str:
    """The error's class and first line, for the status and the log."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def close_replica() -> None:
    """Drop this thread's replica connection, so the next use connects afresh."""
    connection = connections[REPLICA]
    try:
        connection.close()  # forgets the connection even when closing it fails
    except DatabaseError:
        pass
    connection.errors_occurred = False


def mark_failed(error: Exception | str) -> None:
    """The replica failed in a request: not used by this process until RETRY_SECONDS pass."""
    global _last
    reason = error if isinstance(error, str) else describe(error)
    if _last is None or _last.serving:
        logger.warning("read replica not in use: it failed during a request (%s)", reason)
    _last = Status(
        configured=True,
        serving=False,
        reason=f"failed during a request: {reason}",
        max_lag_seconds=float(settings.DATABASE_REPLICA_MAX_LAG),
        checked_at=datetime.datetime.now(datetime.UTC),
        monotonic=time.monotonic(),
    )
    close_replica()


_admin_prefix: str | None = None


def may_read_replica(request) -> bool:
    """A read by someone not signed in, outside the admin: decided before any query."""
    global _admin_prefix
    if _admin_prefix is None:
        _admin_prefix = reverse("admin:index")
    return (
        request.method in READS
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "Authorization" not in request.headers
        and not request.path_info.startswith(_admin_prefix)
    )


class ReplicaRoutingMiddleware:
    """Chooses the database each request reads from and falls back to the primary when the
    replica fails (see the module's docstring). Placed before any middleware that queries."""

    def __init__(self, get_response):
        if REPLICA not in settings.DATABASES:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        route = Route()
        current_route.set(route)
        if may_read_replica(request) and status().serving:
            route.database = REPLICA
            try:
                # The version the page cache and ETags key on, read from the replica now: it
                # also proves the connection works before anything else runs.
                caching.request_data_version(request)
            except DatabaseError as error:
                self.use_primary(request, route, error)
        return self.get_response(request)

    def process_exception(self, request, exception):
        route = current_route.get()
        if route is None or route.database != REPLICA or not connections[REPLICA].errors_occurred:
            return None
        self.use_primary(request, route, exception)
        match = request.resolver_match
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        return response

    @staticmethod
    def use_primary(request, route: Route, error: Exception | str) -> None:
        mark_failed(error)
        route.database = PRIMARY
        # The version was the replica's; the answer will be the primary's.
        if hasattr(request, caching.VERSION_ATTRIBUTE):
            delattr(request, caching.VERSION_ATTRIBUTE)


def end_route(**kwargs) -> None:
    """request_finished: after the last byte of a streamed body, the next reads are not this request's."""
    current_route.set(None)


request_finished.connect(end_route, dispatch_uid="citynet.replica.end_route")


@register()
def check_replica_configuration(app_configs=None, **kwargs) -> list[Warning]:
    """`manage.py check`: a replica URL that routing will ignore."""
    return configuration_warnings(settings.DATABASES)


def configuration_warnings(databases: dict) -> list[Warning]:
    if REPLICA not in databases or configured(databases):
        return []
    return [
        Warning(
            "DATABASE_REPLICA_URL is set, but read replica routing needs PostgreSQL for both DATABASE_URL "
            "and DATABASE_REPLICA_URL; every read goes to the primary.",
            hint="Point DATABASE_REPLICA_URL at a streaming replica of the PostgreSQL primary, or unset it.",
            id="citynet.W101",
        )
    ]
