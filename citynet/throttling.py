"""The API's throttles: DRF's, counting atomically in the shared cache, which also tell the client
where it stands. Each throttle that counts a request records its limit, what is left and when its
window closes on the request;
citynet.middleware.ApiHeadersMiddleware writes the tightest of them as `RateLimit-Limit`,
`RateLimit-Remaining` and `RateLimit-Reset` (seconds), the IETF draft's names."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rest_framework import throttling

# The attribute of the Django request (not DRF's wrapper) that holds what the throttles counted.
RATE_LIMITS = "citynet_rate_limits"


@dataclass(frozen=True)
class RateLimit:
    limit: int
    remaining: int
    reset: int  # seconds until the client's window closes and its count starts again


class RecordingRateThrottle(throttling.SimpleRateThrottle):
    """A rate throttle that counts with the cache's atomic `incr` and records its numbers on the
    request.

    DRF's own reads a client's request history from the cache, appends and writes it back: two
    requests at once (two workers, two servers) read the same history and one count is lost, so
    a burst of 40 requests at a limit of 10 got 29-40 through on Redis. Here a client's window opens at its
    first request and lasts the rate's period (GitHub's API counts the same way): `add` opens it
    with the period as its lifetime, `incr` counts in it, and each request gets a distinct count,
    however many servers share the cache. Refused requests count too, without extending the
    window. If the shared cache cannot count (Redis down), requests go through, as pages are
    then built without it."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        count = self.counted()
        if count is None:
            return True
        allowed = count <= self.num_requests
        self.record(request, allowed, count)
        return allowed

    def counted(self) -> int | None:
        """This request's number in its client's window (opening one if none is open), or None."""
        opened = self.cache.add(self.key + ":opened", self.now, self.duration)
        self.cache.add(self.key, 0, self.duration)
        try:
            count = self.cache.incr(self.key)
        except ValueError:  # the window closed between add and incr: this request opens the next
            self.cache.add(self.key, 0, self.duration)
            try:
                count = self.cache.incr(self.key)
            except ValueError:
                return None
        self.opened = self.now if opened else self.cache.get(self.key + ":opened", self.now)
        return count

    def wait(self) -> float:
        """Seconds until the client's window closes and its count starts again."""
        return max(0.0, self.opened + self.duration - self.now)

    def record(self, request, allowed: bool, count: int) -> None:
        remaining = max(0, self.num_requests - count) if allowed else 0
        reset = max(1, math.ceil(self.wait()))
        django_request = getattr(request, "_request", request)
        limits = getattr(django_request, RATE_LIMITS, [])
        setattr(django_request, RATE_LIMITS, [*limits, RateLimit(self.num_requests, remaining, reset)])


class AnonRateThrottle(RecordingRateThrottle, throttling.AnonRateThrottle):
    """Anonymous clients, by address."""


class UserRateThrottle(RecordingRateThrottle, throttling.UserRateThrottle):
    """Signed-in clients by user (and anonymous ones by address, at the users' rate)."""


def tightest(limits: list[RateLimit]) -> RateLimit | None:
    """The limit the client meets first: the fewest requests left, then the longest wait."""
    if not limits:
        return None
    return min(limits, key=lambda limit: (limit.remaining, -limit.reset, limit.limit))
