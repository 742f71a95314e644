import pytest
from django.urls import reverse

from networks.models import Evidence
from tests.factories import (
    CityFactory,
    CodingFactory,
    EngagementObservationFactory,
    EvidenceFactory,
    MembershipFactory,
    NetworkFactory,
    ParticipationFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


def make_city_with_everything(network):
    city = CityFactory()
    MembershipFactory(city=city, network=network)
    coding = CodingFactory(city=city, network=network)
    EvidenceFactory(coding=coding)
    EvidenceFactory(coding=coding, kind=Evidence.Kind.QUOTE)
    ParticipationFactory(city=city, network=network)
    EngagementObservationFactory(city=city, network=network)
    return city


def test_city_page_shows_memberships_codings_evidence_and_sources(client):
    network = NetworkFactory(name="Eurocities")
    source = SourceFactory(label="Interview 2, 2018")
    city = CityFactory(name="Oslo")
    MembershipFactory(city=city, network=network, source=SourceFactory(label="Member list 2025"))
    coding = CodingFactory(city=city, network=network, salience=3)
    EvidenceFactory(coding=coding, source=source, locator="p. 72", text="A channel to lobby the EU.")
    response = client.get(reverse("cities:city_detail", args=[city.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Oslo · Citynet</title>" in html
    assert "Eurocities" in html and "Member list 2025" in html
    assert "A channel to lobby the EU." in html and "Interview 2, 2018, p. 72" in html
    assert "Contains data from GeoNames" in html


def test_city_page_query_count_does_not_grow_with_codings(client, django_assert_num_queries):
    network = NetworkFactory()
    small = make_city_with_everything(network)
    big = make_city_with_everything(network)
    for _ in range(10):
        other = NetworkFactory()
        MembershipFactory(city=big, network=other)
        EvidenceFactory(coding=CodingFactory(city=big, network=other))
    # city, memberships, codings, evidence (prefetch), participations, engagement
    with django_assert_num_queries(6):
        client.get(reverse("cities:city_detail", args=[small.slug]))
    with django_assert_num_queries(6):
        client.get(reverse("cities:city_detail", args=[big.slug]))


@pytest.mark.parametrize("n_cities", [5, 300])
def test_city_list_runs_the_same_queries_with_5_and_300_cities(client, django_assert_num_queries, n_cities):
    CityFactory.create_batch(n_cities)
    # count for the paginator, one page of cities with their membership counts
    with django_assert_num_queries(2):
        response = client.get(reverse("cities:city_list"))
    assert response.context["page"].paginator.count == n_cities


def test_city_list_search_finds_by_name(client):
    CityFactory(name="Oslo")
    CityFactory(name="Vejle", country="DK")
    response = client.get(reverse("cities:city_list"), {"q": "osl"})
    assert [city.name for city in response.context["page"].object_list] == ["Oslo"]


def test_unknown_city_is_404(client):
    assert client.get(reverse("cities:city_detail", args=["atlantis"])).status_code == 404


def test_city_page_says_what_is_missing(client):
    city = CityFactory(latitude=None, longitude=None, population=None)
    html = client.get(reverse("cities:city_detail", args=[city.slug])).content.decode()
    assert "No memberships recorded" in html
    assert "has not been coded yet" in html
    assert "No engagement observations recorded" in html
