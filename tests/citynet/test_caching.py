"""Cached responses (citynet.caching): reused while the data are unchanged, rebuilt after any write."""

import gzip
import logging
import socket
import uuid

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from cities.models import City
from citynet import caching
from networks.models import Evidence
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


def stored_pages() -> int:
    """How many pages the pages cache holds: in this process's memory, or in Redis."""
    pages = caches[caching.PAGES]
    if isinstance(pages, LocMemCache):
        return len(pages._cache)
    return sum(1 for _ in pages._cache.get_client(None).scan_iter(match=f"{pages.key_prefix}:*"))


def test_pages_of_an_older_data_version_do_not_pile_up(client, version):
    CityFactory(name="Oslo", slug="oslo")
    client.get(reverse("cities:city_detail", args=["oslo"]))
    client.get(reverse("cities:city_list"))
    assert stored_pages() == 2
    version["value"] += "-after"
    client.get(reverse("cities:city_detail", args=["oslo"]))
    assert stored_pages() == 2  # the page built again replaced its older version


@pytest.mark.django_db(transaction=True)
def test_a_write_to_one_table_leaves_pages_that_read_others_cached(client, django_assert_num_queries):
    """Each cached page notes the tables it read: a membership spell changed meanwhile does not
    make the quote table (codings and evidence) be built again; a change to its evidence does."""
    evidence = EvidenceFactory(text="First wording")
    spell = MembershipFactory(city=evidence.coding.city, network=evidence.coding.network)
    caching.clear()
    assert "First wording" in client.get("/quotes/").content.decode()
    spell.note = "A note written meanwhile"
    spell.save()
    with django_assert_num_queries(1):  # the versions, read once per request
        assert "First wording" in client.get("/quotes/").content.decode()
    evidence.text = "Second wording"
    evidence.save()
    assert "Second wording" in client.get("/quotes/").content.decode()
    # The membership list read the spells: the note changed since it was cached shows.
    assert client.get("/api/v1/memberships/").json()["results"][0]["note"] == "A note written meanwhile"
    spell.note = "Changed again"
    spell.save()
    assert client.get("/api/v1/memberships/").json()["results"][0]["note"] == "Changed again"


def test_a_build_notes_the_tracked_tables_its_sql_names(db):
    with caching.TablesRead() as read:
        list(Evidence.objects.select_related("coding__city").values_list("pk", "coding__city__name"))
        with connection.cursor() as cursor:  # raw SQL, unquoted, counts too
            cursor.execute("SELECT COUNT(*) FROM networks_membership m")
            cursor.execute("SELECT COUNT(*) FROM auth_user")
    assert read.tables == {"networks_evidence", "networks_coding", "cities_city", "networks_membership"}


def test_the_throttle_counts_live_apart_from_the_pages(client, version):
    # Emptying the pages cache on a write must not reset anyone's API rate.
    assert caches["default"] is not caches[caching.PAGES]
    caches["default"].set("throttle-probe", 1)
    version["value"] += "-after"
    client.get(reverse("cities:city_list"))
    assert caches["default"].get("throttle-probe") == 1


needs_redis = pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs a Redis server: set REDIS_URL")


@needs_redis
def test_a_shared_cache_lets_go_of_its_own_keys_only(client, version):
    # The Redis database holds the throttle counts beside the pages, and may hold anyone's data:
    # neither a new data version nor emptying the pages cache may flush it.
    other = redis.Redis.from_url(django_settings.REDIS_URL)
    foreign = f"not-citynet:{uuid.uuid4().hex}"
    other.set(foreign, b"kept", ex=60)
    try:
        caches["default"].set("throttle-probe", 1)
        CityFactory(name="Oslo", slug="oslo")
        client.get(reverse("cities:city_detail", args=["oslo"]))
        version["value"] += "-after"
        client.get(reverse("cities:city_list"))
        caching.clear()
        assert stored_pages() == 0
        assert caches["default"].get("throttle-probe") == 1
        assert other.get(foreign) == b"kept"
    finally:
        other.delete(foreign)


@needs_redis
def test_a_page_stored_in_redis_expires_with_its_entry_time(client, version):
    CityFactory(name="Oslo", slug="oslo")
    client.get(reverse("cities:city_detail", args=["oslo"]))
    pages = caches[caching.PAGES]
    connection = pages._cache.get_client(None)
    (key,) = list(connection.scan_iter(match=f"{pages.key_prefix}:*"))
    assert 0 < connection.ttl(key) <= caching.ENTRY_SECONDS


def unreachable_redis() -> str:
    """The address of a port where nothing listens (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_pages_and_the_api_keep_answering_while_redis_is_down(client, settings, version, caplog, monkeypatch):
    location = unreachable_redis()
    settings.CACHES = {
        alias: {"BACKEND": "citynet.redis_cache.FailSoftRedisCache", "LOCATION": location, "KEY_PREFIX": alias}
        for alias in ("default", "pages")
    }
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "5/min"})
    city = CityFactory(name="Oslo", slug="oslo")
    MembershipFactory(city=city)
    with caplog.at_level(logging.WARNING, logger="citynet.redis_cache"):
        for _ in range(2):
            page = client.get(reverse("cities:city_detail", args=["oslo"]))
            assert page.status_code == 200 and "Oslo" in page.content.decode()
        # Throttles fail open: without their counts, 5 requests pass a limit of 3 a minute.
        statuses = [client.get("/api/v1/memberships/?city=oslo").status_code for _ in range(5)]
    assert statuses == [200] * 5
    # One line for the outage, not one per request.
    outage = [record.getMessage() for record in caplog.records if record.name == "citynet.redis_cache"]
    assert len(outage) == 1 and outage[0].startswith(f"Redis at {location} failed")


def test_a_page_another_process_is_building_is_waited_for_not_built_again(
    client, rf, version, monkeypatch, django_assert_num_queries
):
    # After a write every worker of every server misses the same pages at once: one builds
    # each page, the others serve what it stores.
    url = reverse("cities:city_detail", args=["oslo"])
    key = caching.entry_key(rf.get(url))
    pages = caches[caching.PAGES]
    pages.add(key + caching.BUILDING, 1, 60)

    def the_other_build_ends():
        built_at = (version["value"], (("cities_city", 0),))
        pages.set(key, (b"<p>Built by the other server</p>", False, "text/html; charset=utf-8", {}, built_at), 60)
        pages.delete(key + caching.BUILDING)

    monkeypatch.setattr(caching, "pause", the_other_build_ends)
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 200 and response.content == b"<p>Built by the other server</p>"


@pytest.mark.parametrize("ends", ["without storing a page", "not at all"])
def test_a_waiting_request_builds_the_page_itself_when_the_other_build_stores_nothing(
    client, rf, version, monkeypatch, ends
):
    CityFactory(name="Oslo", slug="oslo")
    url = reverse("cities:city_detail", args=["oslo"])
    key = caching.entry_key(rf.get(url))
    pages = caches[caching.PAGES]
    pages.add(key + caching.BUILDING, 1, 60)
    if ends == "not at all":  # a worker killed mid-build: its mark stays until it expires
        monkeypatch.setattr(caching, "WAIT_SECONDS", 0)
    else:  # an error page, say, which is never kept
        monkeypatch.setattr(caching, "pause", lambda: pages.delete(key + caching.BUILDING))
    response = client.get(url)
    assert response.status_code == 200 and "Oslo" in response.content.decode()
