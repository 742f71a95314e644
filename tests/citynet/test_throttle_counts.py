"""The API's throttles count every request once, even when many arrive at once (several
workers and servers share the counts): each gets a distinct number from the cache's atomic
`incr` (citynet/throttling.py). Runs on the suite's cache: per process, or Redis with REDIS_URL
(as .ci/run runs the PostgreSQL step), where DRF's read-append-write of a request history let
29-40 of a burst of 40 through a limit of 10."""

import threading
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.throttling import SimpleRateThrottle

from citynet.throttling import AnonRateThrottle


@pytest.fixture
def rates(monkeypatch):
    def use(anon: str) -> None:
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": anon, "user": "1000/min"})

    cache.clear()
    yield use
    cache.clear()


def request(address: str = "203.0.113.9"):
    made = RequestFactory().get("/api/v1/networks/", REMOTE_ADDR=address)
    made.user = AnonymousUser()
    return made


def test_a_burst_at_once_gets_exactly_the_limit_through(rates):
    rates("10/min")
    start = threading.Barrier(40)
    answers = []

    def client():
        throttle = AnonRateThrottle()
        start.wait()
        answers.append(throttle.allow_request(request(), None))

    threads = [threading.Thread(target=client) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers.count(True) == 10 and len(answers) == 40
    # Another client has its own count.
    assert AnonRateThrottle().allow_request(request("198.51.100.7"), None)


def test_a_refused_client_is_told_when_its_window_closes(rates):
    rates("2/min")
    first = AnonRateThrottle()
    assert first.allow_request(request(), None)
    assert AnonRateThrottle().allow_request(request(), None)
    refused = AnonRateThrottle()
    assert not refused.allow_request(request(), None)
    # The window opened at the first request: it closes a minute after it.
    assert refused.wait() == pytest.approx(first.opened + 60 - refused.now)
    assert 55 < refused.wait() <= 60


def test_the_count_starts_again_when_the_window_closes(rates):
    rates("2/s")
    assert [AnonRateThrottle().allow_request(request(), None) for _ in range(3)] == [True, True, False]
    time.sleep(1.5)  # the window's lifetime in the cache is one second
    assert AnonRateThrottle().allow_request(request(), None)
