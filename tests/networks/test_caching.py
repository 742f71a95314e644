"""Cached responses (networks.caching): reused while the data are unchanged, rebuilt after any write."""

import pytest
from django.db import connection
from django.urls import reverse

from networks import caching
from tests.factories import CityFactory, CodingFactory, EvidenceFactory, MembershipFactory

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL has a write position")


@pytest.mark.django_db
def test_nothing_is_cached_inside_a_transaction_or_without_postgresql():
    # Every test runs in a transaction that is rolled back: a page built there may show
    # writes that never happen.
    assert caching.data_version() is None


@pytest.mark.django_db
def test_pages_inside_a_transaction_show_every_change(client):
    city = CityFactory(name="Oslo", slug="oslo")
    assert "Oslo" in client.get(reverse("cities:city_detail", args=["oslo"])).content.decode()
    city.name = "Christiania"
    city.save()
    assert "Christiania" in client.get(reverse("cities:city_detail", args=["oslo"])).content.decode()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_page_is_built_once_while_the_data_are_unchanged(client, django_assert_num_queries):
    city = CityFactory(name="Oslo", slug="oslo")
    MembershipFactory(city=city)
    EvidenceFactory(coding=CodingFactory(city=city))
    first = client.get(reverse("cities:city_detail", args=["oslo"]))
    # where the write-ahead log is; the page itself comes from the cache
    with django_assert_num_queries(1):
        again = client.get(reverse("cities:city_detail", args=["oslo"]))
    assert again.content == first.content


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_any_write_makes_the_next_request_build_the_page_again(client):
    city = CityFactory(name="Oslo", slug="oslo")
    assert "Oslo" in client.get(reverse("cities:city_detail", args=["oslo"])).content.decode()
    city.name = "Christiania"
    city.save()
    assert "Christiania" in client.get(reverse("cities:city_detail", args=["oslo"])).content.decode()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_api_matrix_is_cached_per_format_and_refreshed_after_a_write(client):
    coding = CodingFactory(salience=1)
    url = f"/api/v1/matrix/?network={coding.network.slug}"
    assert client.get(url).json()["rows"][0]["cells"][coding.code.code]["salience"] == 1
    assert client.get(url, HTTP_ACCEPT="text/html").status_code == 200  # the browsable page is not cached
    coding.salience = 3
    coding.save()
    assert client.get(url).json()["rows"][0]["cells"][coding.code.code]["salience"] == 3
