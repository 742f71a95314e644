"""The report of likely duplicate places (cities.duplicates): it finds the duplicates planted
here, leaves alike-named places that are not one place alone, and keeps up at 10,000 places."""

import csv
import io
import random
import string
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cities.duplicates import CLOSE
from cities.duplicates import SAME_GEONAMES
from cities.duplicates import SAME_NAME
from cities.duplicates import SAME_WIKIDATA
from cities.duplicates import likely_duplicates
from cities.models import City
from tests.factories import CityFactory
from tests.factories import MembershipFactory

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")

DUPLICATES = reverse("admin:cities_city_duplicates")


def place(name: str, country: str = "DE", **fields) -> City:
    """A place without coordinates or GeoNames id unless `fields` give them."""
    return CityFactory(
        **{"latitude": None, "longitude": None, "geonames_id": None, **fields}, name=name, country=country
    )


@pytest.fixture
def planted(db) -> dict[str, tuple[City, ...]]:
    """Duplicates of each kind, and look-alikes that are not duplicates."""
    planted = {
        SAME_GEONAMES: (
            place("Greater Copenhagen", "DK", kind=City.Kind.METROPOLITAN, geonames_id=2618425),
            place("Copenhagen Capital Region", "DK", kind=City.Kind.METROPOLITAN, geonames_id=2618425),
        ),
        SAME_WIKIDATA: (
            place("Reykjavik", "IS", wikidata_id="Q1764"),
            place("Reykjavíkurborg", "IS", wikidata_id="Q1764"),
        ),
        SAME_NAME: (place("Gdańsk", "PL"), place("GDANSK", "PL", slug="gdansk-pl-2"), place("City of Gdansk", "PL")),
        CLOSE: (
            place("Frankfurt am Main", latitude=50.110, longitude=8.682),
            place("Frankfurt", latitude=50.12, longitude=8.70),
        ),
    }
    # Not duplicates: a city and the metropolitan body of the same name and id; one name in two
    # countries; close neighbours with other names; one name far apart.
    place("Oslo", "NO", latitude=59.91, longitude=10.75, geonames_id=3143244)
    place(
        "Oslo",
        "NO",
        slug="oslo-region",
        latitude=59.91,
        longitude=10.75,
        kind=City.Kind.METROPOLITAN,
        geonames_id=3143244,
    )
    place("Valencia", "ES")
    place("Valencia", "VE")
    place("Offenbach am Main", latitude=50.10, longitude=8.77)
    place("Frankfurt (Oder)", latitude=52.34, longitude=14.55)
    return planted


def found(groups) -> dict[str, list[set[str]]]:
    by_reason: dict[str, list[set[str]]] = {}
    for group in groups:
        by_reason.setdefault(group.reason, []).append({place.name for place in group.places})
    return by_reason


def test_finds_each_kind_of_planted_duplicate_and_nothing_else(planted):
    groups = likely_duplicates()

    assert found(groups) == {reason: [{place.name for place in places}] for reason, places in planted.items()}


def test_says_what_the_places_of_a_group_share(planted):
    keys = {group.reason: group.key for group in likely_duplicates()}

    assert keys[SAME_GEONAMES] == "GeoNames 2618425"
    assert keys[SAME_WIKIDATA] == "Q1764"
    assert keys[SAME_NAME] == "gdansk, PL"
    assert keys[CLOSE].startswith("within 1.")


@pytest.mark.django_db
def test_a_pair_that_shares_a_name_is_not_listed_again_as_close():
    place("Düsseldorf", latitude=51.22, longitude=6.77)
    place("Dusseldorf", latitude=51.23, longitude=6.78, slug="dusseldorf-de-2")

    assert [group.reason for group in likely_duplicates()] == [SAME_NAME]


@pytest.mark.django_db
def test_a_region_named_like_its_city_is_not_a_duplicate():
    place("Colima", "MX")
    place("Colima", "MX", slug="colima-region", kind=City.Kind.METROPOLITAN)

    assert likely_duplicates() == []


@pytest.mark.django_db
def test_finds_close_places_far_north_where_degrees_of_longitude_are_short():
    # At 69.6° N, 8 km east is about 0.21° of longitude: two cells away.
    place("Tromsø", "NO", latitude=69.65, longitude=18.90)
    place("Tromsø sentrum", "NO", latitude=69.65, longitude=19.107)

    assert found(likely_duplicates()) == {CLOSE: [{"Tromsø", "Tromsø sentrum"}]}


@pytest.mark.django_db
def test_finds_close_places_across_the_date_line():
    place("Taveuni", "FJ", latitude=-16.80, longitude=179.99)
    place("Taveuni Island", "FJ", latitude=-16.80, longitude=-179.99)

    assert found(likely_duplicates()) == {CLOSE: [{"Taveuni", "Taveuni Island"}]}


def test_ten_thousand_places_take_well_under_a_few_seconds():
    # Unsaved places with ids, crowded into Europe (denser than the register will be); every
    # tenth repeats the name and country of the one before. Compared by cells, not each with each.
    rng = random.Random(13)
    places = []
    for number in range(10_000):
        twin = places[-1] if number % 10 == 9 else None
        places.append(
            City(
                pk=number + 1,
                name=twin.name if twin else "".join(rng.choices(string.ascii_lowercase, k=8)).title(),
                country=twin.country if twin else rng.choice(["DE", "FR", "IT", "PL"]),
                kind=City.Kind.CITY,
                latitude=rng.uniform(40, 60),
                longitude=rng.uniform(-5, 25),
            )
        )

    started = time.perf_counter()
    groups = likely_duplicates(places)
    elapsed = time.perf_counter() - started

    assert elapsed < 3, elapsed
    assert sum(group.reason == SAME_NAME for group in groups) == 1000


# --- the command and the admin page ---------------------------------------------


def test_command_writes_the_groups_as_csv(planted, tmp_path):
    out = tmp_path / "duplicates.csv"

    call_command("find_duplicate_places", output=str(out), stderr=io.StringIO())

    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {row["name"] for row in rows if row["reason"] == SAME_NAME} == {"Gdańsk", "GDANSK", "City of Gdansk"}
    assert len({row["group"] for row in rows}) == 4
    assert rows[0].keys() >= {"group", "reason", "key", "slug", "country", "kind", "wikidata_id", "memberships"}


def test_command_writes_to_standard_output_and_says_how_many(planted):
    out, err = io.StringIO(), io.StringIO()

    call_command("find_duplicate_places", stdout=out, stderr=err)

    assert out.getvalue().startswith('"group","reason","key","id"')
    assert err.getvalue().startswith("4 groups of likely duplicates (9 places)")


def test_admin_page_lists_the_groups_with_merge_links(staff_client, planted):
    gdansk = planted[SAME_NAME][1]
    MembershipFactory(city=gdansk)

    response = staff_client.get(DUPLICATES)

    page = response.content.decode().replace("&amp;", "&")
    assert response.status_code == 200
    assert len(response.context["groups"]) == 4
    # The place with memberships is the one offered to stay.
    merge = f"{reverse('admin:cities_city_merge')}?keep={gdansk.pk}&merge={planted[SAME_NAME][0].pk}"
    assert f'href="{merge}"' in page
    assert "same name and country" in page


def test_changelist_links_to_the_duplicates(staff_client, db):
    page = staff_client.get(reverse("admin:cities_city_changelist")).content.decode()

    assert f'href="{DUPLICATES}"' in page


def test_read_only_staff_see_the_duplicates_without_merge_links(client, read_only_staff, planted):
    client.force_login(read_only_staff)

    response = client.get(DUPLICATES)

    assert response.status_code == 200
    assert len(response.context["groups"]) == 4
    assert "merge-link" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.get(DUPLICATES)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_admin_page_queries_do_not_grow_with_the_groups(staff_client, planted):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(DUPLICATES).status_code == 200
        return len(captured)

    few = queries()
    for number in range(5):
        place(f"Twin {number}", "FR", wikidata_id=f"Q{900 + number}")
        place(f"Twin {number} again", "FR", wikidata_id=f"Q{900 + number}")

    # session and user, the places with their membership counts
    assert queries() == few == 3
