"""Place reconciliation: which place a row names, how that was decided, and what a new place gets."""

import pytest

from cities.models import City
from cities.models import GeoNamesName
from cities.models import GeoNamesPlace
from cities.models import PlaceDecision
from cities.reconcile import How
from cities.reconcile import PlaceQuery
from cities.reconcile import Reconciler
from cities.reconcile import Status
from cities.reconcile import place_values
from tests.factories import CityFactory

pytestmark = pytest.mark.django_db


def geonames(geonameid, name, country, population, *keys, admin1="01"):
    place = GeoNamesPlace.objects.create(
        geonameid=geonameid,
        name=name,
        ascii_name=name,
        country=country,
        admin1_code=admin1,
        latitude=10.0,
        longitude=20.0,
        population=population,
    )
    for key in {name.casefold(), *keys}:
        GeoNamesName.objects.create(place=place, key=key)
    return place


def reconcile(name, country, **fields):
    return Reconciler().reconcile(PlaceQuery(name=name, country=country, **fields))


def test_matches_by_geonames_id_before_the_name():
    copenhagen = CityFactory(name="Copenhagen", country="DK", geonames_id=2618425)
    answer = reconcile("Kobenhavns Kommune", "DK", geonames_id=2618425)
    assert (answer.status, answer.how, answer.city) == (Status.MATCHED, How.GEONAMES_ID, copenhagen)


def test_matches_by_wikidata_id():
    oslo = CityFactory(name="Oslo", country="NO", wikidata_id="Q585")
    answer = reconcile("Oslo kommune", "NO", wikidata_id="Q585")
    assert (answer.status, answer.how, answer.city) == (Status.MATCHED, How.WIKIDATA_ID, oslo)


def test_two_places_with_one_wikidata_id_are_doubtful():
    CityFactory(name="Oslo", country="NO", wikidata_id="Q585")
    CityFactory(name="Oslo Two", country="NO", wikidata_id="Q585")
    answer = reconcile("Somewhere", "NO", wikidata_id="Q585")
    assert answer.status == Status.DOUBTFUL
    assert len(answer.candidates) == 2


@pytest.mark.parametrize(
    ("written", "held", "how"),
    [
        ("oslo", "Oslo", How.NAME),
        ("Düsseldorf", "Dusseldorf", How.FOLDED_NAME),
        ("Gdansk", "Gdańsk", How.FOLDED_NAME),
        ("City of Rijeka", "Rijeka", How.FOLDED_NAME),
        ("Reykjavík", "Reykjavik", How.FOLDED_NAME),
    ],
)
def test_matches_spellings_of_a_place_held_and_says_how(written, held, how):
    place = CityFactory(name=held, country="NO")
    answer = reconcile(written, "NO")
    assert (answer.status, answer.how, answer.city) == (Status.MATCHED, how, place)


def test_matches_the_stored_geonames_name():
    dusseldorf = CityFactory(name="Dusseldorf", country="DE", geonames_name="Düsseldorf")
    answer = reconcile("Duesseldorf City", "DE")
    assert answer.status == Status.NEW_UNPLACED  # not the same spelling: no silent guess
    assert reconcile("DÜSSELDORF", "DE").city == dusseldorf


def test_matches_a_geonames_alternate_name_of_a_place_held():
    copenhagen = CityFactory(name="Copenhagen", country="DK", geonames_id=2618425)
    geonames(2618425, "Copenhagen", "DK", 1_153_615, "kobenhavn", "kopenhagen")
    answer = reconcile("København", "DK")
    assert (answer.status, answer.how, answer.city) == (Status.MATCHED, How.ALTERNATE_NAME, copenhagen)


def test_a_name_in_another_country_is_not_a_match():
    CityFactory(name="Paris", country="FR")
    assert reconcile("Paris", "US").status != Status.MATCHED


def test_a_metropolitan_body_never_matches_the_city_of_its_name():
    CityFactory(name="Manchester", country="GB", kind=City.Kind.CITY)
    answer = reconcile("Manchester", "GB", kind=City.Kind.METROPOLITAN)
    assert answer.status == Status.NEW_UNPLACED
    assert answer.city is None


def test_a_city_row_never_matches_a_region_of_its_name():
    CityFactory(name="Madrid", country="ES", kind=City.Kind.METROPOLITAN)
    assert reconcile("Madrid", "ES", kind=City.Kind.CITY).status != Status.MATCHED


def test_a_city_row_named_like_a_body_held_is_doubtful_never_new():
    body = CityFactory(name="Greater Manchester", country="GB", kind=City.Kind.METROPOLITAN)
    answer = reconcile("Greater  manchester", "GB", kind=City.Kind.CITY)
    assert answer.status == Status.DOUBTFUL
    assert [candidate.city for candidate in answer.candidates] == [body]
    assert "metropolitan or regional body" in answer.note


def test_a_city_row_named_like_a_body_and_a_city_held_matches_the_city():
    CityFactory(name="Colima", country="MX", kind=City.Kind.METROPOLITAN)
    city = CityFactory(name="Colima", country="MX", kind=City.Kind.CITY, slug="colima-city")
    answer = reconcile("Colima", "MX", kind=City.Kind.CITY)
    assert (answer.status, answer.city) == (Status.MATCHED, city)


def test_a_row_naming_several_municipalities_is_doubtful_not_the_first():
    CityFactory(name="Accettura", country="IT")
    answer = reconcile("Accettura, Cirigliano, Oliveto Lucano, Stigliano", "IT")
    assert answer.status == Status.DOUBTFUL
    assert answer.city is None
    assert "several places" in answer.note


def test_a_us_state_after_the_name_is_one_place():
    abington = CityFactory(name="Abington", country="US")
    answer = reconcile("Abington, MA", "US")
    assert (answer.status, answer.city) == (Status.MATCHED, abington)


def test_a_close_spelling_is_a_suggestion_never_a_match():
    trondheim = CityFactory(name="Trondheim", country="NO")
    answer = reconcile("Trondhiem", "NO")
    assert answer.status == Status.DOUBTFUL
    assert answer.city is None
    assert [candidate.city for candidate in answer.candidates] == [trondheim]


def test_a_new_place_is_placed_when_one_geonames_place_is_clearly_it():
    geonames(3099434, "Gdańsk", "PL", 461_865, "gdansk")
    answer = reconcile("GDANSK", "PL")
    assert answer.status == Status.NEW_PLACED
    values = place_values(PlaceQuery("GDANSK", "PL"), answer)
    assert values["geonames_id"] == 3099434
    assert (values["latitude"], values["longitude"]) == (10.0, 20.0)
    assert values["population"] == 461_865
    assert "indicative" in values["population_source"]


def test_a_new_place_with_several_geonames_namesakes_stays_unplaced_and_says_so():
    geonames(1, "San José", "HN", 5000, "san jose")
    geonames(2, "San José", "HN", 4000, "san jose")
    answer = reconcile("San Jose", "HN")
    assert answer.status == Status.NEW_UNPLACED
    assert "2 GeoNames places" in place_values(PlaceQuery("San Jose", "HN"), answer)["coordinates_note"]


def test_a_state_after_the_name_picks_among_geonames_namesakes():
    geonames(1, "Springfield", "US", 100_000, admin1="IL")
    geonames(2, "Springfield", "US", 150_000, admin1="MA")
    answer = reconcile("Springfield, MA", "US")
    assert (answer.status, answer.geonames.geonameid) == (Status.NEW_PLACED, 2)


def test_a_place_not_found_anywhere_is_new_without_coordinates():
    answer = reconcile("Nowhere Town", "NO")
    assert answer.status == Status.NEW_UNPLACED
    assert "no GeoNames place" in answer.note


def test_a_remembered_decision_answers_the_doubt():
    accettura = CityFactory(name="Accettura", country="IT")
    name = "Accettura, Cirigliano"
    PlaceDecision.objects.create(key=PlaceQuery(name, "IT").decision_key[0], country="IT", city=accettura)
    answer = reconcile(name, "IT")
    assert (answer.status, answer.how, answer.city) == (Status.MATCHED, How.DECISION, accettura)


def test_a_decision_for_a_new_place_makes_a_new_place():
    CityFactory(name="Trondheim", country="NO")
    PlaceDecision.objects.create(key="trondhiem", country="NO", city=None)
    assert reconcile("Trondhiem", "NO").status in (Status.NEW_PLACED, Status.NEW_UNPLACED)


def test_reconciling_a_file_reads_geonames_in_a_few_queries(django_assert_max_num_queries):
    geonames(1, "Oslo", "NO", 600_000)
    reconciler = Reconciler()
    queries = [PlaceQuery(f"Place {number}", "NO") for number in range(1200)]
    # one query per chunk of 500 names (two keys a name: plain and folded), then none per row
    with django_assert_max_num_queries(5):
        reconciler.prepare(queries)
        for query in queries:
            reconciler.reconcile(query)
