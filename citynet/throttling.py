"""The API's throttles: DRF's, which also tell the client where it stands. Each throttle that
counts a request records its limit, what is left and when a slot frees up on the request;
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
    reset: int  # seconds until the oldest counted request leaves the window (a slot frees up)


class RecordingRateThrottle(throttling.SimpleRateThrottle):
    """A DRF rate throttle that records its numbers on the request when it counts it."""

    def allow_request(self, request, view) -> bool:
        allowed = super().allow_request(request, view)
        if self.rate is not None and getattr(self, "key", None) is not None:
            self.record(request, allowed)
        return allowed

    def record(self, request, allowed: bool) -> None:
        oldest = self.history[-1] if self.history else self.now
        reset = max(0, math.ceil(self.duration - (self.now - oldest)))
        remaining = max(0, self.num_requests - len(self.history)) if allowed else 0
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
