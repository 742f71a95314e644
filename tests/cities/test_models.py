import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction

from cities.models import City
from tests.factories import CityFactory

pytestmark = pytest.mark.django_db


def test_rejects_lowercase_or_long_country_code():
    with pytest.raises(IntegrityError), transaction.atomic():
        CityFactory(country="no")


def test_rejects_latitude_without_longitude():
    with pytest.raises(IntegrityError), transaction.atomic():
        CityFactory(latitude=59.9, longitude=None)


def test_rejects_coordinates_off_the_globe():
    with pytest.raises(IntegrityError), transaction.atomic():
        CityFactory(latitude=91, longitude=10)


def test_rejects_unknown_kind():
    with pytest.raises(IntegrityError), transaction.atomic():
        CityFactory(kind="planet")


def test_rejects_second_city_with_the_same_geonames_place():
    CityFactory(geonames_id=2618425, name="Copenhagen", country="DK")
    with pytest.raises(IntegrityError), transaction.atomic():
        CityFactory(geonames_id=2618425, name="København", country="DK")


def test_metropolitan_body_may_share_its_seat_citys_geonames_place():
    CityFactory(name="Lyon", country="FR", geonames_id=2996944)
    metropole = CityFactory(name="Lyon Metropole", country="FR", geonames_id=2996944, kind=City.Kind.METROPOLITAN)
    assert City.objects.filter(geonames_id=2996944).count() == 2
    assert metropole.kind == "metropolitan"


def test_grouping_of_cities_may_have_no_coordinates():
    grouping = CityFactory(
        name="Brabantstad",
        country="NL",
        kind=City.Kind.GROUPING,
        latitude=None,
        longitude=None,
        geonames_id=None,
        population=None,
    )
    assert not grouping.has_coordinates


def test_full_clean_reports_duplicate_geonames_city_as_a_readable_error():
    CityFactory(geonames_id=3143244, name="Oslo", country="NO")
    duplicate = City(name="Oslo kommune", slug="oslo-2", country="NO", geonames_id=3143244)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "Another city already has this GeoNames id." in str(error.value)


def test_country_name_comes_from_iso_code_including_kosovo():
    assert CityFactory(country="NO").country_name == "Norway"
    assert CityFactory(country="XK").country_name == "Kosovo"
