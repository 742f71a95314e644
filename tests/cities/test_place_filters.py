"""The list of places filtered as the pages about many networks are (country, region, kind of
place, population band, network theme), each view with its table, CSV and permalink, in a fixed
number of queries however many places the register holds; and a city in many networks."""

import csv
import io

import pytest
from django.urls import reverse

from cities.models import City
from networks.models import Membership
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CodingFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory
from tests.factories import ThemeFactory

pytestmark = pytest.mark.django_db

PLACES = reverse("cities:city_list")


@pytest.fixture
def register():
    """Oslo (NO, 700k) and Paris (FR, 2.1m) in C40 (theme: climate); Lagos (NG, 8m) in C40;
    Vejle (DK, 60k) in Eurocities; Greater Oslo, a metropolitan body, in nothing."""
    climate = ThemeFactory(name="Climate", slug="climate")
    c40 = NetworkFactory(name="C40 Cities", slug="c40")
    c40.themes.add(climate)
    eurocities = NetworkFactory(name="Eurocities", slug="eurocities")
    places = {
        "oslo": CityFactory(name="Oslo", slug="oslo", country="NO", population=700_000),
        "paris": CityFactory(name="Paris", slug="paris", country="FR", population=2_100_000),
        "lagos": CityFactory(name="Lagos", slug="lagos", country="NG", population=8_000_000),
        "vejle": CityFactory(name="Vejle", slug="vejle", country="DK", population=60_000),
        "greater-oslo": CityFactory(
            name="Greater Oslo", slug="greater-oslo", country="NO", kind=City.Kind.METROPOLITAN, population=None
        ),
    }
    for slug in ("oslo", "paris", "lagos"):
        MembershipFactory(city=places[slug], network=c40)
    MembershipFactory(city=places["vejle"], network=eurocities)
    return places


def names(response) -> list[str]:
    return [city.name for city in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"country": "NO"}, ["Greater Oslo", "Oslo"]),
        ({"region": "EU"}, ["Greater Oslo", "Oslo", "Paris", "Vejle"]),
        ({"region": "AF"}, ["Lagos"]),
        ({"kind": "metropolitan"}, ["Greater Oslo"]),
        ({"population": "500k-1m"}, ["Oslo"]),
        ({"population": "unknown"}, ["Greater Oslo"]),
        ({"theme": "climate"}, ["Lagos", "Oslo", "Paris"]),
        ({"theme": "climate", "region": "EU", "population": "1m-5m"}, ["Paris"]),
        ({"q": "oslo", "kind": "city"}, ["Oslo"]),
    ],
)
def test_each_filter_keeps_the_places_it_names(client, register, filters, expected):
    response = client.get(PLACES, filters)
    assert response.status_code == 200
    assert names(response) == expected


def test_the_filters_show_country_names_and_keep_what_was_chosen(client, register):
    html = client.get(PLACES, {"country": "NO", "theme": "climate"}).content.decode()
    assert '<option value="NO" selected>Norway (NO)</option>' in html
    assert '<option value="climate" selected>Climate</option>' in html
    assert "Permalink to this view" in html and 'href="/cities/?country=NO&amp;theme=climate"' in html


def test_an_unknown_filter_value_is_a_bad_request(client, register):
    assert client.get(PLACES, {"region": "Atlantis"}).status_code == 400
    assert client.get(PLACES, {"theme": "nowhere"}).status_code == 400


def test_the_csv_has_every_place_the_filters_keep_not_one_page(client, register):
    CityFactory.create_batch(120, country="NO", population=800_000)
    response = client.get(PLACES, {"country": "NO", "population": "500k-1m", "format": "csv", "chart": "places"})
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("# ") and "GeoNames" in "\n".join(line for line in lines if line.startswith("# "))
    rows = list(csv.DictReader(io.StringIO("\n".join(line for line in lines if not line.startswith("#")))))
    assert len(rows) == 121
    oslo = next(row for row in rows if row["slug"] == "oslo")
    assert (oslo["country"], oslo["population"], oslo["n_memberships"]) == ("NO", "700000", "1")


def larger_register(places: int, network) -> None:
    """`places` more places in `network`, in three countries, of growing population."""
    source = SourceFactory()
    cities = City.objects.bulk_create(
        City(name=f"Place {n}", slug=f"place-{n}", country=("NO", "FR", "NG")[n % 3], population=10_000 * n)
        for n in range(places)
    )
    Membership.objects.bulk_create(Membership(city=city, network=network, source=source) for city in cities)


@pytest.mark.parametrize("places", [5, 400])
def test_a_filtered_list_runs_the_same_queries_at_any_size(client, register, django_assert_num_queries, places):
    larger_register(places, register["oslo"].memberships.get().network)
    filters = {"region": "EU", "kind": "city", "population": "500k-1m", "theme": "climate", "network": "c40"}
    # the filters' choices (countries in the register, themes), the network, the count for the
    # paginator, one page of places with their spell counts; for "Cite this view": the newest release
    with django_assert_num_queries(6):
        response = client.get(PLACES, filters)
    # Oslo, and the places of 500,000 to 1 million in Norway or France.
    assert response.context["page"].paginator.count == 1 + sum(
        1 for n in range(places) if n % 3 != 2 and 500_000 <= 10_000 * n < 1_000_000
    )


def test_a_city_in_many_networks_draws_its_portfolio_for_the_coded_ones_and_names_the_rest(client, register):
    oslo = register["oslo"]
    coded = NetworkFactory(name="Eurocities coded", slug="coded")
    MembershipFactory(city=oslo, network=coded)
    CodingFactory(city=oslo, network=coded, code=CodeFactory(code="knowledge", name="Knowledge sharing"), salience=3)
    for number in range(11):
        MembershipFactory(city=oslo, network=NetworkFactory(name=f"Network {number:02}"))
    response = client.get(reverse("cities:city_detail", args=["oslo"]))
    assert [row["network"]["name"] for row in response.context["portfolio"]["rows"]] == ["Eurocities coded"]
    assert response.context["portfolio_figure"]["data"][0]["z"] == [[3]]
    html = " ".join(response.content.decode().split())
    assert "Drawn for the 1 network whose use by Oslo is coded. Its 12 other networks" in html
    assert "(C40 Cities, Network 00, Network 01, Network 02, Network 03 and 7 more) are not coded" in html
    assert len(response.context["network_portfolio"]) == 13
