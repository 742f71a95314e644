"""Search, the network graph and the map."""

import csv

import pytest
from django.urls import reverse

from tests.factories import CityFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import ParticipationFactory
from tests.factories import SourceFactory
from tests.factories import SubNetworkFactory

pytestmark = pytest.mark.django_db


def rows_of(response):
    # Downloads open with "# " lines naming their sources and licences.
    lines = [line for line in response.content.decode().splitlines() if not line.startswith("# ")]
    return list(csv.DictReader(lines))


@pytest.fixture
def two_networks():
    """Eurocities with Oslo and London, 100RC with London and Lima, Alameda never started."""
    eurocities = NetworkFactory(name="Eurocities", slug="eurocities")
    resilient = NetworkFactory(name="100 Resilient Cities", acronym="100RC", slug="100rc")
    oslo = CityFactory(name="Oslo", slug="oslo")
    london = CityFactory(name="London", slug="london", country="GB", latitude=51.5, longitude=-0.1)
    lima = CityFactory(name="Lima", slug="lima", country="PE", latitude=None, longitude=None)
    for city, network in [(oslo, eurocities), (london, eurocities), (london, resilient), (lima, resilient)]:
        MembershipFactory(city=city, network=network)
    MembershipFactory(city=CityFactory(name="Alameda", country="US"), network=resilient, took_effect=False)
    forum = SubNetworkFactory(network=eurocities, name="Environment forum", slug="environment")
    ParticipationFactory(city=oslo, network=eurocities, subnetwork=forum)
    return eurocities, resilient


def many_members(n):
    networks = NetworkFactory.create_batch(2)
    for city in CityFactory.create_batch(n):
        for network in networks:
            MembershipFactory(city=city, network=network)
    SubNetworkFactory(network=networks[0])


def test_graph_counts_the_members_networks_share(client, two_networks):
    response = client.get(reverse("networks:graph"))
    graph = response.context["graph"]
    assert graph["shared"] == [{"a": "100RC", "b": "Eurocities", "count": 1}]
    labels = {node["label"] for node in graph["nodes"]}
    assert {"Oslo", "London", "Lima", "Environment forum"} <= labels and "Alameda" not in labels
    assert "1 shared member" in str(response.context["figure"]["layout"]["annotations"])


def test_graph_links_a_place_to_the_sub_network_it_takes_part_in(client, two_networks):
    edges = client.get(reverse("networks:graph")).context["graph"]["edges"]
    assert {"source": "city:oslo", "target": "subnetwork:eurocities/environment", "kind": "takes_part"} in [
        {key: edge[key] for key in ("source", "target", "kind")} for edge in edges
    ]


def test_graph_search_lists_what_it_finds_with_its_neighbours(client, two_networks):
    response = client.get(reverse("networks:graph"), {"q": "lond"})
    [london] = response.context["matches"]
    assert [other["label"] for other in london["neighbours"]] == ["100RC", "Eurocities"]
    html = response.content.decode()
    assert 'value="lond"' in html and "Matching “lond”" in html


def test_graph_search_says_when_nothing_matches(client, two_networks):
    html = client.get(reverse("networks:graph"), {"q": "atlantis"}).content.decode()
    assert "No place or network in the graph is called “atlantis”" in html


def test_graph_csv_lists_every_link_with_its_labels(client, two_networks):
    rows = rows_of(client.get(reverse("networks:graph"), {"format": "csv"}))
    kinds = [row["kind"] for row in rows]
    assert kinds.count("member") == 4 and kinds.count("shares_members") == 1
    assert {"source_label": "London", "target_label": "100RC"}.items() <= next(
        row for row in rows if row["source"] == "city:london" and row["target"] == "network:100rc"
    ).items()


def test_graph_says_what_is_missing_when_empty(client):
    assert "No networks or memberships yet" in client.get(reverse("networks:graph")).content.decode()


@pytest.mark.parametrize("n_cities", [3, 150])
def test_graph_runs_five_queries_however_many_members(client, django_assert_num_queries, n_cities):
    many_members(n_cities)
    # networks, their memberships that took effect with city, their sub-networks, participations in one;
    # then for "Cite this view": the newest release
    with django_assert_num_queries(5):
        response = client.get(reverse("networks:graph"), {"q": "city"})
    assert len(response.context["matches"]) == n_cities


def test_map_shows_the_places_whose_membership_took_effect(client, two_networks):
    response = client.get(reverse("networks:map"))
    assert [place["name"] for place in response.context["places"]] == ["Lima", "London", "Oslo"]
    traces = {trace["name"]: trace for trace in response.context["figure"]["data"]}
    assert set(traces) == {"Eurocities", "100RC & Eurocities"}
    assert traces["100RC & Eurocities"]["customdata"] == ["/cities/london/"]
    html = response.content.decode()
    assert 'data-topojson-url="/static/topojson/"' in html and 'data-click="link"' in html


def test_map_names_the_places_it_cannot_draw(client, two_networks):
    html = client.get(reverse("networks:map")).content.decode()
    assert "Not on the map, for want of coordinates:" in html and ">Lima</a>" in html


def test_map_of_one_network_and_its_csv(client, two_networks):
    response = client.get(reverse("networks:map"), {"network": "100rc"})
    assert [place["name"] for place in response.context["places"]] == ["Lima", "London"]
    rows = rows_of(client.get(response.context["csv_urls"]["map"]))
    assert [(row["name"], row["latitude"], row["networks"]) for row in rows] == [
        ("Lima", "", "100RC"),
        ("London", "51.5", "100RC"),
    ]


def test_map_says_what_is_missing_when_empty(client):
    assert "No member places yet" in client.get(reverse("networks:map")).content.decode()


@pytest.mark.parametrize("n_cities", [3, 150])
def test_map_runs_four_queries_however_many_members(client, django_assert_num_queries, n_cities):
    many_members(n_cities)
    network = NetworkFactory()
    # the network, its memberships with city and network, the networks for the select;
    # then for "Cite this view": the newest release
    with django_assert_num_queries(4):
        client.get(reverse("networks:map"), {"network": network.slug})
    # without a network: memberships, networks, the newest release
    with django_assert_num_queries(3):
        response = client.get(reverse("networks:map"))
    assert len(response.context["places"]) == n_cities


def test_search_finds_cities_networks_and_evidence(client):
    network = NetworkFactory(name="Eurocities")
    oslo = CityFactory(name="Oslo")
    coding = CodingFactory(city=oslo, network=network)
    EvidenceFactory(coding=coding, text="Oslo uses Eurocities to lobby the EU.")
    EvidenceFactory(coding=coding, text="Exchange of experience.")
    response = client.get(reverse("networks:search"), {"q": "eurocities"})
    assert list(response.context["networks"]) == [network]
    [found] = response.context["codings"]
    assert [item.text for item in found.evidence.all()] == ["Oslo uses Eurocities to lobby the EU."]
    html = response.content.decode()
    assert "<title>Search: “eurocities” · Citynet</title>" in html


def test_search_finds_evidence_by_its_source(client):
    coding = CodingFactory()
    EvidenceFactory(coding=coding, source=SourceFactory(label="Interview 7, 2017"), text="The Partner Platform.")
    response = client.get(reverse("networks:search"), {"q": "interview 7"})
    assert list(response.context["codings"]) == [coding]


def test_search_says_what_to_type_and_what_it_did_not_find(client):
    assert "Type a city, a network" in client.get(reverse("networks:search")).content.decode()
    html = client.get(reverse("networks:search"), {"q": "zzz"}).content.decode()
    assert "No city or member place is called “zzz”" in html and "No evidence text or source mentions" in html
