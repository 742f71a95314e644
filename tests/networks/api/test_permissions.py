"""Who may write: every write on every resource, by anonymous, non-staff and staff users."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from networks.models import Membership
from networks.services import EDITOR
from tests.factories import API_RESOURCES

pytestmark = pytest.mark.django_db


# resource: a full valid payload, naming the write targets
PAYLOADS = {
    "cities": lambda targets: {"slug": "bergen", "name": "Bergen", "country": "NO", "kind": "city"},
    "networks": lambda targets: {"slug": "c40", "name": "C40", "scope": "global", "focus": "specialised"},
    "memberships": lambda targets: {
        "city": "oslo",
        "network": "eurocities",
        "joined": "2015-01-01",
        "source": targets["source"].pk,
    },
    "subnetworks": lambda targets: {"network": "eurocities", "name": "Mobility", "slug": "mobility", "kind": "forum"},
    "participations": lambda targets: {
        "city": "oslo",
        "network": "eurocities",
        "unit": "Mayor",
        "unit_kind": "political",
        "source": targets["source"].pk,
    },
    "codes": lambda targets: {
        "code": "new-code",
        "version": "test",
        "name": "New",
        "kind": "logic",
        "definition": "New.",
    },
    "sources": lambda targets: {"kind": "document", "citation": "Somebody (2020). A report."},
    "codings": lambda targets: {
        "city": "oslo",
        "network": "eurocities",
        "code": "knowledge",
        "salience": 2,
        "perspective": "city",
        "coder": "Seed coding",
        "evidence": [{"source": targets["source"].pk, "kind": "quote", "text": "Said so."}],
    },
    "engagement": lambda targets: {
        "city": "oslo",
        "network": "eurocities",
        "observed_on": "2018-01-01",
        "level": 2,
        "source": targets["source"].pk,
    },
}
WRITES = ["post", "put", "patch", "delete"]
STAFF_STATUS = {"post": 201, "put": 200, "patch": 200, "delete": 204}


def write(client, resource: str, method: str, write_targets: dict):
    """Send one write (POST to the list; PUT, PATCH or DELETE to a fresh object of the
    resource); `response.changed` tells whether the resource's table changed."""
    factory, key = API_RESOURCES[resource]
    model = factory._meta.model
    url = f"/api/v1/{resource}/" if method == "post" else f"/api/v1/{resource}/{getattr(factory(), key)}/"
    before = snapshot(model)
    if method == "delete":
        response = client.delete(url)
    else:
        response = getattr(client, method)(url, PAYLOADS[resource](write_targets), format="json")
    response.changed = snapshot(model) != before
    return response


def snapshot(model) -> list:
    return list(model.objects.order_by("pk").values())


@pytest.fixture
def anonymous():
    return APIClient()


def api_client_of(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def non_staff(reader):
    return api_client_of(reader)


@pytest.fixture
def staff(staff_user):
    return api_client_of(staff_user)


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", PAYLOADS)
def test_anonymous_writes_are_401_and_change_nothing(anonymous, write_targets, resource, method):
    response = write(anonymous, resource, method, write_targets)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not response.changed


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", PAYLOADS)
def test_non_staff_writes_are_403_and_change_nothing(non_staff, write_targets, resource, method):
    response = write(non_staff, resource, method, write_targets)
    assert response.status_code == 403
    assert not response.changed


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", PAYLOADS)
def test_staff_writes_succeed(staff, write_targets, resource, method):
    response = write(staff, resource, method, write_targets)
    assert response.status_code == STAFF_STATUS[method], response.content
    assert response.changed


@pytest.mark.parametrize("resource", PAYLOADS)
@pytest.mark.parametrize("who", ["anonymous", "non_staff"])
def test_everyone_may_read(request, write_targets, resource, who):
    API_RESOURCES[resource][0]()
    client = request.getfixturevalue(who)
    assert client.get(f"/api/v1/{resource}/").status_code == 200


def test_staff_token_can_create_a_membership(write_targets, staff_user):
    token = Token.objects.create(user=staff_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.post("/api/v1/memberships/", PAYLOADS["memberships"](write_targets), format="json")
    assert response.status_code == 201
    assert Membership.objects.filter(city__slug="oslo", network__slug="eurocities").exists()


def test_anonymous_client_cannot_create_a_membership(write_targets, anonymous):
    response = anonymous.post("/api/v1/memberships/", PAYLOADS["memberships"](write_targets), format="json")
    assert response.status_code == 401
    assert not Membership.objects.exists()


def test_non_staff_token_cannot_create_a_membership(write_targets, reader):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reader).key}")
    response = client.post("/api/v1/memberships/", PAYLOADS["memberships"](write_targets), format="json")
    assert response.status_code == 403
    assert not Membership.objects.exists()


def test_an_invalid_token_is_401_even_for_reads(write_targets):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/cities/").status_code == 401


def test_session_writes_need_the_csrf_token(write_targets, staff_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff_user)
    response = client.post("/api/v1/memberships/", PAYLOADS["memberships"](write_targets), format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", PAYLOADS)
def test_read_only_staff_writes_are_403_and_change_nothing(write_targets, read_only_staff, resource, method):
    # Staff status alone is not a licence to write: as in the admin, each write needs the
    # model's add, change or delete permission, which read-only staff do not have.
    response = write(api_client_of(read_only_staff), resource, method, write_targets)
    assert response.status_code == 403, response.content
    assert not response.changed


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", PAYLOADS)
def test_editors_write_what_their_role_lets_them_edit_and_nothing_else(write_targets, editor, resource, method):
    model = API_RESOURCES[resource][0]._meta.model
    action = {"post": "add", "put": "change", "patch": "change", "delete": "delete"}[method]
    client = api_client_of(editor)
    granted = Group.objects.get(name=EDITOR).permissions.filter(
        content_type__app_label=model._meta.app_label, codename=f"{action}_{model._meta.model_name}"
    )
    response = write(client, resource, method, write_targets)
    if granted.exists():
        assert response.status_code == STAFF_STATUS[method], response.content
        assert response.changed
    else:
        assert response.status_code == 403
        assert not response.changed


def test_editors_may_not_change_networks_or_the_codebook(write_targets, editor):
    # The role's boundary, named: networks and the codebook are kept by administrators.
    client = api_client_of(editor)
    assert write(client, "networks", "post", write_targets).status_code == 403
    assert write(client, "codes", "patch", write_targets).status_code == 403
    assert write(client, "memberships", "post", write_targets).status_code == 201
    assert write(client, "codings", "post", write_targets).status_code == 201
