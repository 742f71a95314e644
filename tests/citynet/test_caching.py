"""Cached responses (citynet.caching): reused while the data are unchanged, rebuilt after any write."""

import gzip
import uuid

import pytest
from django.urls import reverse

from cities.models import City
from citynet import caching
from tests.factories import CityFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(monkeypatch):
    """The data version, set by the test (the real one moves on by itself with every commit);
    a new one for each test, so no test finds another's pages."""
    current = {"value": uuid.uuid4().hex}
    monkeypatch.setattr(caching, "data_version", lambda: caching.Version(current["value"], None))
    return current


def test_nothing_is_cached_inside_a_transaction():
    # Every test runs in a transaction that is rolled back: a page built there may show
    # writes that never happen.
    assert caching.data_version() is None


def test_pages_inside_a_transaction_show_every_change(client):
    city = CityFactory(name="Oslo", slug="oslo")
    assert "Oslo" in client.get(reverse("cities:city_detail", args=["oslo"])).content.decode()
    city.name = "Christiania"
    city.save()
    assert "Christiania" in client.get(reverse("cities:city_detail", args=["oslo"])).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_is_seen_at_once_by_the_cached_page(client):
    """Outside a transaction pages are cached (on SQLite as on PostgreSQL): a write moves the data
    version on, so the next request builds the page again."""
    city = City.objects.create(name="Oslo", slug="oslo", country="NO")
    url = reverse("cities:city_detail", args=["oslo"])
    assert "Oslo" in client.get(url).content.decode()
    City.objects.filter(pk=city.pk).update(name="Christiania")
    assert "Christiania" in client.get(url).content.decode()


def test_a_page_is_built_once_while_the_data_are_unchanged(client, django_assert_num_queries, version):
    city = CityFactory(name="Oslo", slug="oslo")
    MembershipFactory(city=city)
    EvidenceFactory(coding=CodingFactory(city=city))
    first = client.get(reverse("cities:city_detail", args=["oslo"]))
    with django_assert_num_queries(0):
        again = client.get(reverse("cities:city_detail", args=["oslo"]))
    assert again.content == first.content


def test_a_new_data_version_builds_the_page_again(client, version):
    city = CityFactory(name="Oslo", slug="oslo")
    assert "Oslo" in client.get(reverse("cities:city_detail", args=["oslo"])).content.decode()
    city.name = "Christiania"
    city.save()
    assert "Christiania" not in client.get(reverse("cities:city_detail", args=["oslo"])).content.decode()
    version["value"] += "-after"  # as PostgreSQL's moves on with the save
    assert "Christiania" in client.get(reverse("cities:city_detail", args=["oslo"])).content.decode()


def test_the_api_matrix_json_is_cached_and_the_browsable_page_is_not(client, version, django_assert_max_num_queries):
    coding = CodingFactory(salience=1)
    url = f"/api/v1/matrix/?network={coding.network.slug}"
    assert client.get(url).json()["rows"][0]["cells"][coding.code.code]["salience"] == 1
    with django_assert_max_num_queries(1):  # DRF's own lookup of the network in the query
        assert client.get(url).json()["rows"][0]["cells"][coding.code.code]["salience"] == 1
    assert b"<html" in client.get(url, HTTP_ACCEPT="text/html").content.lower()


def test_a_large_cached_body_goes_compressed_to_clients_that_take_gzip(client, monkeypatch, version):
    monkeypatch.setattr(caching, "COMPRESS_ABOVE", 0)
    CityFactory(name="Oslo", slug="oslo")
    url = reverse("cities:city_detail", args=["oslo"])
    plain = client.get(url).content
    compressed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert compressed["Content-Encoding"] == "gzip" and "Accept-Encoding" in compressed["Vary"]
    assert gzip.decompress(compressed.content) == plain
    assert client.get(url, HTTP_ACCEPT_ENCODING="gzip;q=0").content == plain


@pytest.mark.parametrize(
    ("header", "accepted"),
    [("gzip", True), ("deflate, gzip;q=0.5", True), ("GZIP", True), ("gzip;q=0", False), ("br", False), ("", False)],
)
def test_reads_whether_the_client_takes_gzip(rf, header, accepted):
    assert caching.accepts_gzip(rf.get("/", HTTP_ACCEPT_ENCODING=header)) is accepted


def test_api_list_pages_the_same_for_every_reader_are_cached(client, version, django_assert_num_queries):
    city = CityFactory(name="Oslo", slug="oslo")
    MembershipFactory(city=city)
    url = "/api/v1/memberships/?city=oslo"
    first = client.get(url)
    assert first.json()["results"][0]["city_name"] == "Oslo"
    with django_assert_num_queries(0):
        again = client.get(url)
    assert again.content == first.content and again["Content-Type"] == first["Content-Type"]
    # Another filter, page or format is another entry; the CSV and the browsable page are never kept.
    assert client.get("/api/v1/memberships/?city=bergen").json()["count"] == 0
    assert csv_text(client.get(url + "&format=csv")).count("Oslo") == 1
    city.name = "Christiania"
    city.save()
    assert b"<html" in client.get(url, HTTP_ACCEPT="text/html").content.lower()
    assert "Christiania" in csv_text(client.get(url + "&format=csv"))
    version["value"] += "-after"
    assert client.get(url).json()["results"][0]["city_name"] == "Christiania"


@pytest.mark.parametrize("url", ["/api/v1/evidence/", "/api/v1/codings/", "/quotes/"])
def test_lists_showing_evidence_are_cached_only_for_readers_who_may_not_see_restricted_text(
    client, version, django_assert_num_queries, url
):
    evidence = EvidenceFactory(text="First wording")
    assert "First wording" in client.get(url).content.decode()
    evidence.text = "Second wording"
    evidence.save()
    with django_assert_num_queries(0):
        assert "First wording" in client.get(url).content.decode()  # the public's page, from the cache
    # A reader who may see restricted evidence gets a page built for them, never the shared one.
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert "Second wording" in client.get(url).content.decode()
    client.logout()
    assert "First wording" in client.get(url).content.decode()


def test_an_invalid_filter_is_still_a_400_from_a_cached_list(client, version):
    assert client.get("/api/v1/memberships/?joined_after=notadate").status_code == 400
    assert client.get("/api/v1/memberships/?joined_after=notadate").status_code == 400


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_pages_of_an_older_data_version_do_not_pile_up(client, version):
    from django.core.cache import caches

    CityFactory(name="Oslo", slug="oslo")
    client.get(reverse("cities:city_detail", args=["oslo"]))
    client.get(reverse("cities:city_list"))
    pages = caches[caching.PAGES]
    assert len(pages._cache) == 2
    version["value"] += "-after"
    client.get(reverse("cities:city_detail", args=["oslo"]))
    assert len(pages._cache) == 1  # the older version's pages were let go


def test_the_throttle_counts_live_apart_from_the_pages(client, version):
    # Emptying the pages cache on a write must not reset anyone's API rate.
    from django.core.cache import caches

    assert caches["default"] is not caches[caching.PAGES]
    caches["default"].set("throttle-probe", 1)
    version["value"] += "-after"
    client.get(reverse("cities:city_list"))
    assert caches["default"].get("throttle-probe") == 1
