"""Who may write: every write on every resource, by anonymous, non-staff and staff users."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cities.models import City
from networks.models import (
    Code,
    Coding,
    EngagementObservation,
    Membership,
    Network,
    Participation,
    Source,
    SubNetwork,
)
from networks.services import EDITOR, READ_ONLY_STAFF, roles_setup
from tests.factories import (
    CityFactory,
    CodeFactory,
    CoderFactory,
    CodingFactory,
    EngagementObservationFactory,
    MembershipFactory,
    NetworkFactory,
    ParticipationFactory,
    SourceFactory,
    SubNetworkFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return {
        "city": CityFactory(slug="oslo"),
        "network": NetworkFactory(slug="eurocities"),
        "source": SourceFactory(),
        "code": CodeFactory(code="knowledge"),
        "coder": CoderFactory(name="Seed"),
    }


# resource: (model, make an existing object, its URL key, a full valid payload)
RESOURCES = {
    "cities": (
        City,
        lambda w: CityFactory(),
        lambda obj: obj.slug,
        lambda w: {"slug": "bergen", "name": "Bergen", "country": "NO", "kind": "city"},
    ),
    "networks": (
        Network,
        lambda w: NetworkFactory(),
        lambda obj: obj.slug,
        lambda w: {"slug": "c40", "name": "C40", "scope": "global", "focus": "specialised"},
    ),
    "memberships": (
        Membership,
        lambda w: MembershipFactory(),
        lambda obj: obj.pk,
        lambda w: {"city": "oslo", "network": "eurocities", "joined": "2015-01-01", "source": w["source"].pk},
    ),
    "subnetworks": (
        SubNetwork,
        lambda w: SubNetworkFactory(),
        lambda obj: obj.pk,
        lambda w: {"network": "eurocities", "name": "Mobility", "slug": "mobility", "kind": "forum"},
    ),
    "participations": (
        Participation,
        lambda w: ParticipationFactory(),
        lambda obj: obj.pk,
        lambda w: {
            "city": "oslo",
            "network": "eurocities",
            "unit": "Mayor",
            "unit_kind": "political",
            "source": w["source"].pk,
        },
    ),
    "codes": (
        Code,
        lambda w: CodeFactory(),
        lambda obj: obj.code,
        lambda w: {"code": "new-code", "version": "test", "name": "New", "kind": "logic", "definition": "New."},
    ),
    "sources": (
        Source,
        lambda w: SourceFactory(),
        lambda obj: obj.pk,
        lambda w: {"kind": "document", "citation": "Somebody (2020). A report."},
    ),
    "codings": (
        Coding,
        lambda w: CodingFactory(),
        lambda obj: obj.pk,
        lambda w: {
            "city": "oslo",
            "network": "eurocities",
            "code": "knowledge",
            "salience": 2,
            "perspective": "city",
            "coder": "Seed",
            "evidence": [{"source": w["source"].pk, "kind": "quote", "text": "Said so."}],
        },
    ),
    "engagement": (
        EngagementObservation,
        lambda w: EngagementObservationFactory(),
        lambda obj: obj.pk,
        lambda w: {
            "city": "oslo",
            "network": "eurocities",
            "observed_on": "2018-01-01",
            "level": 2,
            "source": w["source"].pk,
        },
    ),
}
WRITES = ["post", "put", "patch", "delete"]
STAFF_STATUS = {"post": 201, "put": 200, "patch": 200, "delete": 204}


def write(client, resource: str, method: str, world: dict):
    """Send one write (POST to the list; PUT, PATCH or DELETE to a fresh object of the
    resource); `response.changed` tells whether the resource's table changed."""
    model, make, key, payload = RESOURCES[resource]
    url = f"/api/v1/{resource}/" if method == "post" else f"/api/v1/{resource}/{key(make(world))}/"
    before = snapshot(model)
    if method == "delete":
        response = client.delete(url)
    else:
        response = getattr(client, method)(url, payload(world), format="json")
    response.changed = snapshot(model) != before
    return response


def snapshot(model) -> list:
    return list(model.objects.order_by("pk").values())


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def non_staff(reader):
    client = APIClient()
    client.force_login(reader)
    return client


@pytest.fixture
def staff(staff_user):
    client = APIClient()
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", RESOURCES)
def test_anonymous_writes_are_401_and_change_nothing(anonymous, world, resource, method):
    response = write(anonymous, resource, method, world)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not response.changed


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", RESOURCES)
def test_non_staff_writes_are_403_and_change_nothing(non_staff, world, resource, method):
    response = write(non_staff, resource, method, world)
    assert response.status_code == 403
    assert not response.changed


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", RESOURCES)
def test_staff_writes_succeed(staff, world, resource, method):
    response = write(staff, resource, method, world)
    assert response.status_code == STAFF_STATUS[method], response.content
    assert response.changed


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("who", ["anonymous", "non_staff"])
def test_everyone_may_read(request, world, resource, who):
    RESOURCES[resource][1](world)
    client = request.getfixturevalue(who)
    assert client.get(f"/api/v1/{resource}/").status_code == 200


def test_staff_token_can_create_a_membership(world, staff_user):
    token = Token.objects.create(user=staff_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.post("/api/v1/memberships/", RESOURCES["memberships"][3](world), format="json")
    assert response.status_code == 201
    assert Membership.objects.filter(city__slug="oslo", network__slug="eurocities").exists()


def test_anonymous_client_cannot_create_a_membership(world, anonymous):
    response = anonymous.post("/api/v1/memberships/", RESOURCES["memberships"][3](world), format="json")
    assert response.status_code == 401
    assert not Membership.objects.exists()


def test_non_staff_token_cannot_create_a_membership(world, reader):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reader).key}")
    response = client.post("/api/v1/memberships/", RESOURCES["memberships"][3](world), format="json")
    assert response.status_code == 403
    assert not Membership.objects.exists()


def test_an_invalid_token_is_401_even_for_reads(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/cities/").status_code == 401


def test_session_writes_need_the_csrf_token(world, staff_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff_user)
    response = client.post("/api/v1/memberships/", RESOURCES["memberships"][3](world), format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def role_client(role: str) -> APIClient:
    """A staff account in one of the roles `setup_roles` makes."""
    roles_setup()
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", RESOURCES)
def test_read_only_staff_writes_are_403_and_change_nothing(world, resource, method):
    # Staff status alone is not a licence to write: as in the admin, each write needs the
    # model's add, change or delete permission, which read-only staff do not have.
    response = write(role_client(READ_ONLY_STAFF), resource, method, world)
    assert response.status_code == 403, response.content
    assert not response.changed


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", RESOURCES)
def test_editors_write_what_their_role_lets_them_edit_and_nothing_else(world, resource, method):
    model = RESOURCES[resource][0]
    action = {"post": "add", "put": "change", "patch": "change", "delete": "delete"}[method]
    client = role_client(EDITOR)
    granted = Group.objects.get(name=EDITOR).permissions.filter(
        content_type__app_label=model._meta.app_label, codename=f"{action}_{model._meta.model_name}"
    )
    response = write(client, resource, method, world)
    if granted.exists():
        assert response.status_code == STAFF_STATUS[method], response.content
        assert response.changed
    else:
        assert response.status_code == 403
        assert not response.changed


def test_editors_may_not_change_networks_or_the_codebook(world):
    # The role's boundary, named: networks and the codebook are kept by administrators.
    client = role_client(EDITOR)
    assert write(client, "networks", "post", world).status_code == 403
    assert write(client, "codes", "patch", world).status_code == 403
    assert write(client, "memberships", "post", world).status_code == 201
    assert write(client, "codings", "post", world).status_code == 201
