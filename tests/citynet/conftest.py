import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle


@pytest.fixture
def tiny_rates(monkeypatch):
    """API rates small enough to reach in a test: 3 requests a minute anonymous, 5 signed in.
    DRF's throttles read their rates once, at import; the suite's roomy ones are in tests/conftest.py."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "5/min"})
    cache.clear()
    yield
    cache.clear()
