import pytest

from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory


@pytest.fixture
def write_targets(db) -> dict:
    """What API writes name by key, and what the visibility tests code: Oslo ("oslo"),
    Eurocities ("eurocities"), the function "knowledge", the coder "Seed coding", and a source
    (by its id)."""
    return {
        "city": CityFactory(name="Oslo", slug="oslo"),
        "network": NetworkFactory(name="Eurocities", slug="eurocities"),
        "source": SourceFactory(),
        "code": CodeFactory(code="knowledge", name="Knowledge sharing", position=1),
        "coder": CoderFactory(name="Seed coding"),
    }


@pytest.fixture
def coding_payload(write_targets) -> dict:
    """A valid coding to send to the API, without evidence: Oslo's knowledge sharing in Eurocities."""
    return {
        "city": "oslo",
        "network": "eurocities",
        "code": "knowledge",
        "salience": 3,
        "outcome": "met",
        "perspective": "city",
        "coder": "Seed coding",
    }
