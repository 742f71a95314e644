import pytest
from django.urls import reverse

from networks.models import Coding
from tests.factories import (
    CityFactory,
    CodingFactory,
    EvidenceFactory,
    MembershipFactory,
    NetworkFactory,
    SubNetworkFactory,
)

pytestmark = pytest.mark.django_db


def populate(network, n_cities):
    for city in CityFactory.create_batch(n_cities):
        MembershipFactory(city=city, network=network)
        EvidenceFactory(coding=CodingFactory(city=city, network=network))


def test_home_shows_counts_and_links_to_networks(client):
    network = NetworkFactory(name="Eurocities")
    populate(network, 3)
    response = client.get(reverse("networks:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert network.get_absolute_url() in html
    assert response.context["n_cities"] == 3 and response.context["n_memberships"] == 3


def test_home_explains_how_to_load_data_when_empty(client):
    assert "manage.py load_citynet" in client.get(reverse("networks:home")).content.decode()


@pytest.mark.parametrize("n_cities", [5, 300])
def test_network_page_runs_the_same_queries_with_5_and_300_cities(client, django_assert_num_queries, n_cities):
    network = NetworkFactory()
    SubNetworkFactory(network=network)
    EvidenceFactory(coding=CodingFactory(city=None, network=network, perspective=Coding.Perspective.NETWORK))
    populate(network, n_cities)
    # network (+ head office), themes, regional offices, sub-networks, memberships with city and source,
    # own codings, own codings' evidence, member codings, member codings' evidence
    with django_assert_num_queries(9):
        response = client.get(reverse("networks:network_detail", args=[network.slug]))
    assert len(response.context["memberships"]) == n_cities


@pytest.mark.parametrize("n_networks", [2, 30])
def test_network_list_runs_one_query(client, django_assert_num_queries, n_networks):
    for network in NetworkFactory.create_batch(n_networks):
        populate(network, 2)
    with django_assert_num_queries(1):
        response = client.get(reverse("networks:network_list"))
    assert [n.n_members for n in response.context["networks"]] == [2] * n_networks


def test_network_page_shows_its_own_view_beside_its_members_view(client):
    network = NetworkFactory(name="100 Resilient Cities")
    own = CodingFactory(city=None, network=network, perspective=Coding.Perspective.NETWORK, salience=3)
    EvidenceFactory(coding=own, text="Capacity building comes first.")
    member = CodingFactory(city=CityFactory(name="Vejle"), network=network, salience=3)
    EvidenceFactory(coding=member, text="Values knowledge sharing.")
    response = client.get(reverse("networks:network_detail", args=[network.slug]))
    assert list(response.context["own_codings"]) == [own]
    assert list(response.context["member_codings"]) == [member]
    html = response.content.decode()
    assert "Capacity building comes first." in html and "Values knowledge sharing." in html


def test_unknown_network_is_404(client):
    assert client.get(reverse("networks:network_detail", args=["c41"])).status_code == 404
