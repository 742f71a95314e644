"""Which database a query goes to when a read replica is configured (settings.DATABASE_ROUTERS).

Reads go to the replica only inside a request that `citynet.replica.ReplicaRoutingMiddleware`
chose for it (a read by someone not signed in, while the replica keeps up), and only until that
request writes anything: after a write its reads see the primary, so a request always reads its
own writes. Everything else reads the primary: other requests, management commands, shells.
Writes and migrations always go to the primary; a hot standby refuses both anyway.
"""

from contextvars import ContextVar
from dataclasses import dataclass

PRIMARY = "default"
REPLICA = "replica"
# Who is signed in, their login failures and tokens: a replica a moment behind would not know
# a session or token just made, or a lockout just recorded.
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "authtoken", "axes"})


@dataclass
class Route:
    """Where this request reads: `database` as chosen, until the request first `wrote`."""

    database: str = PRIMARY
    wrote: bool = False


# Set by the middleware for each request, and left for the response's streamed body.
current_route: ContextVar[Route | None] = ContextVar("citynet_route", default=None)


def read_database() -> str:
    """The alias this request's reads go to now."""
    route = current_route.get()
    if route is None or route.wrote:
        return PRIMARY
    return route.database


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        return read_database()

    def db_for_write(self, model, **hints) -> str:
        route = current_route.get()
        if route is not None:
            route.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica holds the primary's rows: an object read from either may point to the other.
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool | None:
        if db == REPLICA:
            return False
        return None
