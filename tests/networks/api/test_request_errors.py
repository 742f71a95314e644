"""Requests the API's views never get to answer themselves: bodies nested too deeply or
too large, and writes to an address without its trailing slash. Each is a JSON answer,
never Django's HTML 400, a 500, or a redirect that turns a write into a read."""

import json

import pytest
from django.test import override_settings

from cities.models import City
from networks.models import Coding
from networks.models import Membership
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
DEEP_LIST = "[" * 1000 + "]" * 1000


def nested_list(levels: int) -> str:
    return "[" * levels + "1" + "]" * levels


def assert_json_error(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    return response.json()["detail"]


@pytest.mark.parametrize("url", ["/api/v1/cities/", "/api/v1/codings/"])
@pytest.mark.parametrize("body", [DEEP_OBJECT, DEEP_LIST], ids=["objects", "lists"])
def test_json_nested_a_thousand_levels_deep_is_a_json_400(staff_client, url, body):
    assert len(body) < 7_000
    detail = assert_json_error(staff_client.post(url, body, content_type="application/json"), 400)
    assert "nested" in detail


def test_json_nested_more_than_32_levels_is_refused_and_32_levels_are_read(staff_client, coding_payload):
    # A coding's other fields are ignored, so the 31 levels in "extra" are all that is read deeper.
    inside = json.dumps(coding_payload)[:-1] + ', "extra": ' + nested_list(31) + "}"
    response = staff_client.post("/api/v1/codings/", inside, content_type="application/json")
    assert response.status_code == 201, response.content
    too_deep = json.dumps(coding_payload)[:-1] + ', "extra": ' + nested_list(32) + "}"
    detail = assert_json_error(staff_client.post("/api/v1/codings/", too_deep, content_type="application/json"), 400)
    assert detail == "JSON parse error - nested more than 32 levels deep."
    assert Coding.objects.count() == 1


def test_brackets_and_escaped_quotes_inside_strings_are_not_nesting(staff_client, write_targets, coding_payload):
    text = ('[[[{{{ \\" ' * 100).strip()
    evidence = [{"source": write_targets["source"].pk, "kind": "quote", "text": text}]
    response = staff_client.post(
        "/api/v1/codings/", {**coding_payload, "evidence": evidence}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert Coding.objects.get().evidence.get().text == text


def test_malformed_json_is_still_a_400_naming_the_parse_error(staff_client, write_targets):
    detail = assert_json_error(staff_client.post("/api/v1/cities/", "{not json", content_type="application/json"), 400)
    assert detail.startswith("JSON parse error - ")


@pytest.mark.parametrize(
    ("method", "url"),
    [("post", "/api/v1/cities/"), ("patch", "/api/v1/cities/oslo/"), ("post", "/api/v1/codings/")],
)
def test_a_body_over_the_upload_limit_is_a_json_413(staff_client, write_targets, method, url):
    body = json.dumps({"name": "x" * 10_000_000})
    response = getattr(staff_client, method)(url, body, content_type="application/json")
    detail = assert_json_error(response, 413)
    assert detail == "Request body too large: the API takes at most 2621440 bytes."
    assert City.objects.get().name == "Oslo"


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_a_form_body_is_a_json_415_asking_for_json(staff_client, content_type):
    # Forms flatten nested values and read a malformed boolean as false: the API takes JSON only.
    response = staff_client.post("/api/v1/cities/", "name=Oslo&country=NO", content_type=content_type)
    assert "send JSON" in assert_json_error(response, 415) or response.json()["code"] == "unsupported_media_type"
    assert not City.objects.filter(name="Oslo").exists()


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "get", "head", "options"])
def test_an_api_address_without_its_slash_is_a_308_for_every_method(staff_client, debug, method):
    with override_settings(DEBUG=debug):
        response = getattr(staff_client, method)("/api/v1/memberships/5?x=1", content_type="application/json")
    assert response.status_code == 308
    assert response["Location"] == "/api/v1/memberships/5/?x=1"
    if method != "head":
        assert response.json() == {
            "detail": "Use http://testserver/api/v1/memberships/5/?x=1 (with the trailing slash).",
            "code": "use_trailing_slash",
        }


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_write_without_the_slash_is_made_at_the_slashed_address(staff_client, write_targets, debug):
    spell = MembershipFactory(city=write_targets["city"], network=write_targets["network"])
    with override_settings(DEBUG=debug):
        response = staff_client.patch(
            f"/api/v1/memberships/{spell.pk}", {"note": "Changed."}, content_type="application/json", follow=True
        )
        assert response.status_code == 200
        assert Membership.objects.get().note == "Changed."
        created = staff_client.post(
            "/api/v1/cities",
            {"name": "Bergen", "slug": "bergen", "country": "NO"},
            content_type="application/json",
            follow=True,
        )
    assert created.status_code == 201, created.content
    assert City.objects.filter(name="Bergen").exists()


def test_an_api_address_that_is_not_there_with_a_slash_either_is_the_json_404(client):
    assert assert_json_error(client.post("/api/v1/nothing-here"), 404) == "Not found."


def test_pages_without_the_slash_keep_djangos_redirect(client):
    response = client.get("/networks")
    assert (response.status_code, response["Location"]) == (301, "/networks/")
