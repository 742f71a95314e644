"""Facts kept per data version (citynet.versioned): a client walking a list's pages pays for the
newest release, the studies cited and the network looked up by slug on the first page only, and
sees a change made meanwhile on the very next request."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from citynet import caching
from networks.models import Release
from tests.factories import CityFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(monkeypatch):
    """The data version, moved on by the test (inside a test's transaction there is none)."""
    current = {"value": uuid.uuid4().hex}
    monkeypatch.setattr(caching, "data_version", lambda: caching.Version(current["value"], None))
    return current


def move_on(version) -> None:
    version["value"] = uuid.uuid4().hex


def get(client, url: str) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content[:300]
    return response.json(), len(queries)


@pytest.fixture
def coded_city():
    study = SourceFactory(kind="study", citation="Grønnestad and Nielsen (2018). Urbane forbindelser.")
    interview = SourceFactory(kind="interview", part_of=study, citation="Interview 2")
    city = CityFactory(slug="oslo")
    for _ in range(3):
        EvidenceFactory(coding=CodingFactory(city=city), source=interview)
    return city


def test_later_pages_of_a_list_ask_fewer_queries_and_cite_the_same(client, version, coded_city):
    first, first_queries = get(client, "/api/v1/codings/?city=oslo&page_size=1")
    second, second_queries = get(client, "/api/v1/codings/?city=oslo&page_size=1&page=2")
    # The place looked up by slug, the list's count, the studies cited and the newest release: asked once.
    assert second_queries == first_queries - 4
    assert second["attribution"] == first["attribution"]
    assert any("Urbane forbindelser" in line for line in second["attribution"])
    assert second["citation"]["release"] == first["citation"]["release"]
    assert [row["id"] for row in first["results"]] != [row["id"] for row in second["results"]]


def test_other_filters_are_not_given_another_lists_studies(client, version, coded_city):
    get(client, "/api/v1/codings/?city=oslo")
    CodingFactory(city=CityFactory(slug="bergen"))  # no evidence, so no study behind it
    bergen, _ = get(client, "/api/v1/codings/?city=bergen")
    assert not any("Urbane forbindelser" in line for line in bergen["attribution"])


def test_a_release_made_meanwhile_is_cited_on_the_next_request(client, version, coded_city):
    before, _ = get(client, "/api/v1/codings/?city=oslo")
    assert before["citation"]["release"] is None or "unreleased" in str(before["citation"]["release"])
    Release.objects.create(label="2026.12", released=datetime.date(2026, 12, 6), zip_path="x.zip", zip_sha256="0" * 64)
    move_on(version)  # what the write's trigger does outside a test's transaction
    after, _ = get(client, "/api/v1/codings/?city=oslo")
    assert "2026.12" in str(after["citation"])


def test_a_network_made_meanwhile_is_found_by_its_slug(client, version):
    empty, _ = get(client, "/api/v1/memberships/?network=c40")
    assert empty["count"] == 0
    MembershipFactory(network=NetworkFactory(slug="c40"))
    move_on(version)
    found, _ = get(client, "/api/v1/memberships/?network=c40")
    assert found["count"] == 1
