"""Conditional GET on the API (citynet.conditional): strong ETags and Last-Modified from the data
version, 304 without running the view, a new tag after any write; gzip for JSON and CSV."""

import datetime
import gzip
import json

import pytest
from django.utils.http import http_date
from rest_framework.authtoken.models import Token

from citynet import conditional
from tests.factories import CityFactory
from tests.factories import MembershipFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "/api/v1/memberships/"


@pytest.fixture
def members():
    return [MembershipFactory() for _ in range(3)]


def test_a_read_carries_a_strong_etag_and_a_304_costs_one_query(client, members, django_assert_num_queries):
    first = client.get(LIST)
    tag = first["ETag"]
    assert first.status_code == 200 and tag.startswith('"') and not tag.startswith("W/")
    assert "Authorization" in first["Vary"] and "Accept" in first["Vary"]
    with django_assert_num_queries(1):  # the data version, nothing else
        again = client.get(LIST, HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == tag
    assert again["Cache-Control"] == "public, max-age=0, must-revalidate"


def test_any_write_gives_a_new_tag_and_the_new_data(client, members):
    tag = client.get(LIST)["ETag"]
    MembershipFactory()
    after = client.get(LIST, HTTP_IF_NONE_MATCH=tag)
    assert after.status_code == 200 and after["ETag"] != tag
    assert after.json()["count"] == 4


def test_the_tag_depends_on_the_format_and_the_credentials(client, members):
    user = UserFactory(is_staff=True)
    plain = client.get(LIST)["ETag"]
    csv = client.get(LIST, {"format": "csv"})
    assert csv["ETag"] != plain
    token = Token.objects.create(user=user)
    token_read = client.get(LIST, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert token_read.status_code == 200 and token_read["ETag"] != plain
    # A signed-in reader's tag from the public answer does not get a 304 for theirs.
    client.force_login(user)
    assert client.get(LIST, HTTP_IF_NONE_MATCH=plain).status_code == 200


def test_a_record_keeps_its_own_version_tag_for_if_match(client):
    membership = MembershipFactory()
    url = f"/api/v1/memberships/{membership.pk}/"
    tag = client.get(url)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=tag).status_code == 304
    # The tag is the record's version, whatever the coding, so a write can send it back.
    assert client.get(url, HTTP_ACCEPT_ENCODING="gzip")["ETag"] == tag
    MembershipFactory()  # another record changes: this one's tag stays
    assert client.get(url)["ETag"] == tag


def test_a_read_of_a_place_gets_the_data_tag(client):
    city = CityFactory(slug="oslo")
    tag = client.get(f"/api/v1/cities/{city.slug}/")["ETag"]
    assert client.get(f"/api/v1/cities/{city.slug}/", HTTP_IF_NONE_MATCH=tag).status_code == 304


def test_if_modified_since(client, members):
    response = client.get(LIST)
    changed = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=2)
    assert client.get(LIST, HTTP_IF_MODIFIED_SINCE=http_date(changed.timestamp())).status_code == 304
    long_ago = http_date(0)
    assert client.get(LIST, HTTP_IF_MODIFIED_SINCE=long_ago).status_code == 200
    assert response.status_code == 200


def test_last_modified_is_never_a_second_that_could_see_another_write():
    now = datetime.datetime.now(datetime.UTC)
    assert conditional.last_modified(now) is None  # its second has not passed yet
    earlier = now - datetime.timedelta(seconds=5, microseconds=300_000)
    assert conditional.last_modified(earlier) > earlier
    assert conditional.last_modified(earlier).microsecond == 0
    assert conditional.last_modified(None) is None


def test_json_and_csv_are_gzipped_for_clients_that_take_it(client):
    for _ in range(10):
        MembershipFactory()
    for query in ({}, {"format": "csv"}):
        response = client.get(LIST, query, HTTP_ACCEPT_ENCODING="gzip")
        assert response["Content-Encoding"] == "gzip"
        body = gzip.decompress(b"".join(response.streaming_content) if response.streaming else response.content)
        assert body.startswith(b"#") if query else json.loads(body)["count"] == 10
    assert not client.get(LIST).has_header("Content-Encoding")


def test_the_browsable_api_page_is_not_compressed(client, members):
    # It carries a CSRF token: compressing it beside reflected input would leak it (BREACH).
    response = client.get(LIST, HTTP_ACCEPT="text/html", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and not response.has_header("Content-Encoding")
