"""The cities part of the API: member places by slug, and a city's network portfolio."""

import csv
import datetime
import io

import pytest

from cities.models import City
from networks.importing.study import study_load
from networks.models import Code
from networks.models import Network
from networks.selectors import cities_for_list
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CodingFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory

pytestmark = pytest.mark.django_db


def test_lists_cities_by_name_with_their_membership_counts(client):
    oslo = CityFactory(name="Oslo", slug="oslo")
    CityFactory(name="Aarhus", slug="aarhus", country="DK")
    MembershipFactory.create_batch(2, city=oslo)
    rows = client.get("/api/v1/cities/").json()["results"]
    assert [(row["slug"], row["n_memberships"]) for row in rows] == [("aarhus", 0), ("oslo", 2)]


def test_city_list_credits_geonames(client):
    CityFactory()
    attribution = client.get("/api/v1/cities/").json()["attribution"]
    assert "Contains data from GeoNames (https://www.geonames.org/), licensed CC BY 4.0." in attribution


def test_staff_creates_a_city_and_gets_it_back_by_slug(staff_client):
    payload = {"slug": "bergen", "name": "Bergen", "country": "NO", "latitude": 60.39, "longitude": 5.32}
    response = staff_client.post("/api/v1/cities/", payload, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["n_memberships"] == 0 and response.json()["country_name"] == "Norway"
    assert staff_client.get("/api/v1/cities/bergen/").json()["latitude"] == 60.39


def test_staff_renames_a_city_by_patching_it(staff_client):
    CityFactory(slug="kobenhavn", name="Kobenhavn", country="DK")
    response = staff_client.patch("/api/v1/cities/kobenhavn/", {"name": "København"}, content_type="application/json")
    assert response.status_code == 200
    assert City.objects.get(slug="kobenhavn").name == "København"


def test_rejects_a_second_city_of_the_same_name_kind_and_country(staff_client):
    CityFactory(name="Oslo", slug="oslo", country="NO")
    payload = {"slug": "oslo-2", "name": "Oslo", "country": "NO"}
    response = staff_client.post("/api/v1/cities/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "A member place of this kind with this name already exists in this country."
    ]


def test_rejects_a_taken_slug(staff_client):
    CityFactory(slug="oslo")
    payload = {"slug": "oslo", "name": "Oslo 2", "country": "NO"}
    response = staff_client.post("/api/v1/cities/", payload, content_type="application/json")
    assert response.status_code == 400
    assert "slug" in response.json()


@pytest.fixture
def study():
    """The study's data, and Oslo's Eurocities membership (which the member lists, not the study, load)."""
    study_load()
    MembershipFactory(city=City.objects.get(slug="oslo"), network=Network.objects.get(slug="eurocities"))


def test_portfolio_lists_the_citys_networks_with_what_each_serves(client, study):
    body = client.get("/api/v1/cities/oslo/portfolio/").json()
    assert body["city"] == {"slug": "oslo", "name": "Oslo", "country": "NO"}
    (eurocities,) = body["networks"]
    assert eurocities["network"]["slug"] == "eurocities"
    assert eurocities["functions"] == {"knowledge": 3, "representation": 3, "promotion": 2}
    assert eurocities["logics"] == {"appropriateness": 2}
    assert set(body["gaps"]) == {"policy", "capacity"}
    assert body["attribution"][1].startswith("Study: Solveig Grønnestad")


def test_portfolio_shows_spells_overlaps_and_gaps(client):
    city = CityFactory(slug="vejle")
    first, second = NetworkFactory(slug="a"), NetworkFactory(slug="b")
    MembershipFactory(city=city, network=first, joined=datetime.date(2013, 1, 1), left=datetime.date(2019, 7, 31))
    MembershipFactory(city=city, network=second)
    knowledge = CodeFactory(code="knowledge")
    CodeFactory(code="policy")
    CodeFactory(code="appropriateness", kind=Code.Kind.LOGIC)
    CodingFactory(city=city, network=first, code=knowledge, salience=3)
    CodingFactory(city=city, network=second, code=knowledge, salience=1)
    body = client.get("/api/v1/cities/vejle/portfolio/").json()
    assert [entry["spells"] for entry in body["networks"]] == [["2013–2019-07-31"], ["2014–"]]
    assert body["overlaps"] == {"knowledge": ["a", "b"]}
    assert body["gaps"] == ["policy"]


def test_portfolio_downloads_as_csv_one_row_per_network_and_code(client, study):
    response = client.get("/api/v1/cities/oslo/portfolio/?format=csv")
    assert response["Content-Disposition"] == 'attachment; filename="citynet-portfolio-oslo.csv"'
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO("".join(line for line in text.splitlines(True) if line[0] != "#"))))
    assert len(rows) == 7  # one network x seven codebook columns
    assert {row["code"]: row["salience"] for row in rows}["knowledge"] == "3"
    assert {row["code"]: row["salience"] for row in rows}["policy"] == ""


def test_portfolio_of_an_unknown_city_is_404(client):
    assert client.get("/api/v1/cities/atlantis/portfolio/").status_code == 404


def test_city_pages_are_what_the_serializer_gives(client):
    """CitySerializer writes a place without DRF's per-field machinery; the JSON is what DRF's
    fields give, in the order of Meta.fields."""
    from cities.serializers import CitySerializer

    CityFactory(name="Oslo", latitude=None, longitude=None, population=None, geonames_id=None, wikidata_id="Q585")
    CityFactory(name="Greater Copenhagen", kind="metropolitan", country="DK", coordinates_note="Seat: Copenhagen")
    MembershipFactory(city=CityFactory(name="Vejle", country="DK"))
    results = client.get("/api/v1/cities/").json()["results"]
    places = cities_for_list().order_by("name", "country", "pk")
    serializer = CitySerializer()
    generic = [super(CitySerializer, serializer).to_representation(place) for place in places]
    assert results == [serializer.to_representation(place) for place in places] == generic
    assert all(list(result) == CitySerializer.Meta.fields for result in results)
    detail = client.get(f"/api/v1/cities/{places[0].slug}/").json()
    assert detail == generic[0] and list(detail) == list(generic[0])
