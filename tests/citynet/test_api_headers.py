"""What the API says in its headers and error bodies beside the data: CORS for reads from any
origin (never writes, never with credentials), a machine-readable `code` in every error body but
a validation error's, RateLimit-* headers where the throttles count, and Vary and Cache-Control."""

import json
import uuid

import pytest
from rest_framework.authtoken.models import Token

from citynet import caching
from tests.factories import CityFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory

pytestmark = pytest.mark.django_db

ORIGIN = "https://tool.example.net"
EXPOSED = {"etag", "retry-after", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "content-disposition"}


def vary(response) -> set[str]:
    return {name.strip().lower() for name in response.get("Vary", "").split(",") if name.strip()}


def listed(header: str) -> set[str]:
    return {name.strip().lower() for name in header.split(",")}


# --- CORS -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "head"])
def test_api_reads_may_be_made_from_any_origin_without_credentials(client, method):
    NetworkFactory()
    response = getattr(client, method)("/api/v1/networks/", headers={"origin": ORIGIN})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not response.has_header("Access-Control-Allow-Credentials")
    assert listed(response["Access-Control-Expose-Headers"]) >= EXPOSED
    assert "origin" in vary(response)


def test_a_preflight_for_a_read_is_answered_with_the_read_methods_only(client):
    response = client.options("/api/v1/cities/", headers={"origin": ORIGIN, "access-control-request-method": "GET"})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert listed(response["Access-Control-Allow-Methods"]) == {"get", "head", "options"}
    assert not response.has_header("Access-Control-Allow-Credentials")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_preflight_for_a_write_from_another_origin_is_not_granted(client, method):
    response = client.options(
        "/api/v1/cities/oslo/", headers={"origin": ORIGIN, "access-control-request-method": method}
    )
    assert response["Access-Control-Allow-Origin"] == "*"  # answered, but only reads are allowed
    assert listed(response["Access-Control-Allow-Methods"]) == {"get", "head", "options"}
    assert not response.has_header("Access-Control-Allow-Credentials")


def test_pages_outside_the_api_get_no_cors_headers(client):
    for path in ("/networks/", "/admin/login/"):
        response = client.get(path, headers={"origin": ORIGIN})
        assert not response.has_header("Access-Control-Allow-Origin"), path
        preflight = client.options(path, headers={"origin": ORIGIN, "access-control-request-method": "GET"})
        assert not preflight.has_header("Access-Control-Allow-Origin"), path


def test_api_errors_carry_cors_headers_so_a_script_can_read_them(client):
    response = client.get("/api/v1/cities/no-such-place/", headers={"origin": ORIGIN})
    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == "*"


# --- Error codes ----------------------------------------------------------------------------


def test_not_found_has_its_code(client):
    response = client.get("/api/v1/cities/no-such-place/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No City matches the given query.", "code": "not_found"}


def test_the_json_404_for_unknown_addresses_has_its_code(client):
    response = client.get("/api/v1/nothing/here/")
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_write_without_credentials_is_not_authenticated(client):
    response = client.post("/api/v1/cities/", {"name": "Bergen"}, content_type="application/json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}


def test_an_invalid_token_is_authentication_failed(client):
    response = client.post("/api/v1/cities/", {}, content_type="application/json", headers={"authorization": "Token x"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def test_a_write_without_the_permission_is_permission_denied(client, reader):
    client.force_login(reader)
    response = client.post("/api/v1/cities/", {"name": "Bergen"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "You do not have permission to perform this action.",
        "code": "permission_denied",
    }


def test_method_not_acceptable_unsupported_and_parse_errors_have_codes(staff_client):
    response = staff_client.post("/api/v1/matrix/", {}, content_type="application/json")
    assert (response.status_code, response.json()) == (
        405,
        {"detail": 'Method "POST" not allowed.', "code": "method_not_allowed"},
    )
    response = staff_client.get("/api/v1/cities/", headers={"accept": "application/xml"})
    assert (response.status_code, response.json()["code"]) == (406, "not_acceptable")
    response = staff_client.post("/api/v1/cities/", "name=x", content_type="text/plain")
    assert (response.status_code, response.json()) == (
        415,
        {"detail": 'Unsupported media type "text/plain" in request.', "code": "unsupported_media_type"},
    )
    response = staff_client.post("/api/v1/cities/", "{not json", content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")
    assert set(response.json()) == {"detail", "code"}


def test_a_refused_delete_is_a_conflict(staff_client):
    membership = MembershipFactory()
    response = staff_client.delete(f"/api/v1/cities/{membership.city.slug}/")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Other records refer to this one (memberships); change or delete them first.",
        "code": "conflict",
    }


def test_version_conflicts_have_their_codes_beside_their_other_fields(staff_client):
    membership = MembershipFactory()
    url = f"/api/v1/memberships/{membership.pk}/"
    read = staff_client.get(url)
    membership.save()  # someone saves it meanwhile
    response = staff_client.patch(
        url, {"notes": "x"}, content_type="application/json", headers={"if-match": read["ETag"]}
    )
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert set(response.json()) == {"detail", "code", "current_etag", "current_updated_at"}
    response = staff_client.patch(
        url, {"notes": "x", "updated_at": read.json()["updated_at"]}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "edit_conflict"
    assert set(response.json()) == {"detail", "code", "current_etag", "current_updated_at"}


def test_validation_errors_keep_their_shape(client, staff_client):
    response = client.get("/api/v1/cities/?page_size=0")
    assert response.status_code == 400
    assert set(response.json()) == {"page_size"}
    response = staff_client.post("/api/v1/cities/", {}, content_type="application/json")
    assert response.status_code == 400
    assert "code" not in response.json() and "name" in response.json()


def test_a_missing_slash_and_a_body_too_large_have_their_codes(staff_client, settings):
    assert staff_client.get("/api/v1/cities").json()["code"] == "use_trailing_slash"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = staff_client.post("/api/v1/cities/", json.dumps({"name": "x" * 1000}), content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "detail": "Request body too large: the API takes at most 100 bytes.",
        "code": "request_too_large",
    }


# --- Rate limits ----------------------------------------------------------------------------


def test_throttled_responses_say_where_the_client_stands(client, tiny_rates):
    NetworkFactory()
    responses = [client.get("/api/v1/networks/") for _ in range(4)]
    assert [response.status_code for response in responses] == [200, 200, 200, 429]
    assert [response["RateLimit-Limit"] for response in responses] == ["3"] * 4
    assert [response["RateLimit-Remaining"] for response in responses] == ["2", "1", "0", "0"]
    for response in responses:
        assert 0 < int(response["RateLimit-Reset"]) <= 60
    refused = responses[-1]
    assert 0 < int(refused["Retry-After"]) <= int(refused["RateLimit-Reset"])
    assert refused.json()["code"] == "throttled"


def test_a_signed_in_client_sees_its_own_limit(client, reader, tiny_rates):
    client.force_login(reader)
    response = client.get("/api/v1/networks/")
    assert (response["RateLimit-Limit"], response["RateLimit-Remaining"]) == ("5", "4")


def test_pages_outside_the_api_have_no_rate_limit_headers(client, tiny_rates):
    assert not client.get("/networks/").has_header("RateLimit-Limit")


# --- Vary and Cache-Control -----------------------------------------------------------------


def test_anonymous_api_reads_may_be_cached_but_revalidated(client):
    NetworkFactory()
    for url in ("/api/v1/networks/", "/api/v1/matrix/", "/api/v1/networks/?format=csv", "/api/v1/nothing/here/"):
        response = client.get(url)
        assert response["Cache-Control"] == "public, max-age=0, must-revalidate", url
        assert "origin" in vary(response), url
    assert {"accept", "origin"} <= vary(client.get("/api/v1/networks/"))


def test_signed_in_api_reads_are_never_stored(client, editor):
    client.force_login(editor)
    for url in ("/api/v1/networks/", "/api/v1/matrix/", "/api/v1/evidence/"):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store", url


def test_a_token_client_is_signed_in_too(client, editor):
    token = Token.objects.create(user=editor)
    response = client.get("/api/v1/networks/", headers={"authorization": f"Token {token.key}"})
    assert response["Cache-Control"] == "private, no-store"


def test_writes_get_no_cache_control_of_ours(staff_client):
    response = staff_client.post("/api/v1/cities/", {}, content_type="application/json")
    assert response.get("Cache-Control", "") != "public, max-age=0, must-revalidate"


def test_pages_outside_the_api_are_left_alone(client):
    response = client.get("/networks/", headers={"origin": ORIGIN})
    assert "origin" not in vary(response)
    assert response.get("Cache-Control", "") != "public, max-age=0, must-revalidate"


@pytest.fixture
def version(monkeypatch):
    current = {"value": uuid.uuid4().hex}
    monkeypatch.setattr(caching, "data_version", lambda: caching.Version(current["value"], None))
    return current


def test_a_cached_list_gets_the_headers_of_its_own_request(client, reader, version, tiny_rates):
    CityFactory()
    first = client.get("/api/v1/cities/")
    again = client.get("/api/v1/cities/", headers={"origin": ORIGIN})  # from the cache
    assert again.content == first.content
    assert again["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert again["Access-Control-Allow-Origin"] == "*"
    assert {"accept", "origin"} <= vary(again)
    assert (again["RateLimit-Limit"], again["RateLimit-Remaining"]) == ("3", "1")
    client.force_login(reader)
    signed_in = client.get("/api/v1/cities/")  # the public's cached page, as it shows no evidence
    assert signed_in.content == first.content
    assert signed_in["Cache-Control"] == "private, no-store"
    assert signed_in["RateLimit-Limit"] == "5"
