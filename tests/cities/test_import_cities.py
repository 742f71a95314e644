"""Cities imported and exported through the admin."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from cities.models import City
from cities.resources import CityResource
from networks.models import Membership
from tests import admin_imports
from tests.admin_imports import problem_cells
from tests.admin_imports import problems
from tests.admin_imports import totals
from tests.factories import CityFactory

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns when collectstatic has not run; the admin pages need no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

IMPORT = reverse("admin:cities_city_import")
CONFIRM = reverse("admin:cities_city_process_import")
HEADER = "name,country_iso2,kind,geonameid,latitude,longitude,population\n"


def upload(client, content: str | bytes, name="cities.csv"):
    return admin_imports.upload(client, IMPORT, content, name)


def confirm(client, preview):
    return admin_imports.confirm(client, CONFIRM, preview)


def test_preview_counts_new_changed_and_unchanged_places(staff_client):
    CityFactory(name="Oslo", country="NO", geonames_id=3143244, latitude=59.9, longitude=10.7, population=100_000)
    CityFactory(name="Vejle", country="DK", geonames_id=2610613, latitude=55.7, longitude=9.5, population=50_000)
    content = (
        HEADER
        + "Oslo,NO,city,3143244,59.9,10.7,100000\n"
        + "Vejle,DK,city,2610613,55.7,9.5,60231\n"
        + "Brabantstad,NL,grouping,,,,\n"
    )

    response = upload(staff_client, content)

    assert totals(response) == {"new": 1, "update": 1, "skip": 1, "invalid": 0}
    assert City.objects.count() == 2


def test_confirmed_places_are_added_once_and_a_second_import_changes_nothing(staff_client):
    content = HEADER + "Brabantstad,NL,grouping,,,,\nVejle,DK,city,2610613,55.70927,9.5357,60231\n"

    confirm(staff_client, upload(staff_client, content))
    again = upload(staff_client, content)

    assert totals(again) == {"new": 0, "update": 0, "skip": 2, "invalid": 0}
    vejle = City.objects.get(name="Vejle")
    assert (vejle.slug, vejle.geonames_id, vejle.population_source) == (
        "vejle",
        2610613,
        "GeoNames (populated place; indicative)",
    )


def test_a_member_list_imports_as_places(staff_client):
    shipped = Path(settings.BASE_DIR) / "fixtures" / "memberships" / "100rc_members.csv"

    preview = upload(staff_client, shipped.read_bytes(), name="100rc_members.csv")
    confirm(staff_client, preview)

    assert totals(preview)["new"] == 105
    assert City.objects.count() == 105
    assert not Membership.objects.exists()


def test_bad_places_are_reported_and_nothing_is_written(staff_client):
    content = (
        HEADER
        + "Good,NO,city,,,,\n"
        + "Bad Country,Norway,city,,,,\n"
        + "Half Point,NO,city,,59.9,,\n"
        + "Far North,NO,city,,91,10,\n"
        + "Odd Kind,NO,village,,,,\n"
        + "Kristiania,NO,city,3143244,,,\n"
        + "Oslo,NO,city,3143244,,,\n"
    )

    response = upload(staff_client, content)

    assert problem_cells(response) == {
        (3, "country_iso2"),
        (4, "latitude"),
        (5, "latitude"),
        (6, "kind"),
        (8, "name"),
    }
    assert (8, "name", "repeats row 7: the same GeoNames place (3143244) twice") in problems(response)
    assert not City.objects.exists()


def test_a_clash_with_a_stored_place_is_refused_with_the_constraints_message(staff_client):
    CityFactory(name="Oslo", country="NO", kind="city", slug="oslo")
    content = "name,country_iso2,slug\nOslo by,NO,oslo\n"

    response = upload(staff_client, content)

    assert problems(response) == [(2, "slug", "Another city already has this slug.")]


def test_places_export_and_import_back_unchanged(staff_client):
    CityFactory(name="København", country="DK", geonames_id=2618425, wikidata_id="Q1748")
    CityFactory(name="Brabantstad", country="NL", kind="grouping", geonames_id=None, latitude=None, longitude=None)
    fields = {f"cityresource_{column}": "on" for column in CityResource.columns()}

    exported = staff_client.post(reverse("admin:cities_city_export"), {"format": "0", "resource": "0", **fields})
    again = upload(staff_client, exported.content)

    assert "København,DK,city,2618425" in exported.content.decode("utf-8-sig")
    assert totals(again) == {"new": 0, "update": 0, "skip": 2, "invalid": 0}
