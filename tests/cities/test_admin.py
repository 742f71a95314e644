import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cities.models import City
from networks.models import Membership
from tests.admin_forms import autocomplete
from tests.admin_forms import city_form
from tests.admin_forms import error_messages
from tests.admin_forms import membership_fields
from tests.factories import CityFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns when collectstatic has not run; the admin pages need no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

CHANGELIST = reverse("admin:cities_city_changelist")
ADD = reverse("admin:cities_city_add")


def change_url(city: City) -> str:
    return reverse("admin:cities_city_change", args=[city.pk])


def city_data(memberships=(), initial_memberships=0, **fields):
    """Oslo as typed into the city's admin form, with `fields` changed."""
    oslo = {"name": "Oslo", "slug": "oslo-no", "country": "NO", "latitude": "59.91", "longitude": "10.75"}
    return city_form(memberships, initial_memberships, **{**oslo, **fields})


def membership_row(network, source, **fields):
    return membership_fields(source, network=network.pk, **fields)


def saved_row(membership):
    """The inline row the city's page shows for a saved membership, posted back unchanged."""
    return {
        "id": membership.pk,
        "city": membership.city.pk,
        **membership_row(
            membership.network,
            membership.source,
            joined=membership.joined.isoformat() if membership.joined else "",
            joined_precision=membership.joined_precision,
            type=membership.type,
        ),
    }


def with_a_new_spell(spell, **fields):
    """The change page of the spell's city as posted with the spell unchanged and a new spell
    of the same network (`fields`)."""
    city = spell.city
    return city_data(
        name=city.name,
        slug=city.slug,
        geonames_id=city.geonames_id,
        memberships=[saved_row(spell), membership_row(spell.network, spell.source, **fields)],
        initial_memberships=1,
    )


# --- pages load ---------------------------------------------------------------


def test_changelist_lists_cities_for_staff(staff_client):
    oslo = CityFactory(name="Oslo")
    MembershipFactory(city=oslo)

    response = staff_client.get(CHANGELIST)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [oslo]
    assert "Norway" in response.content.decode()


def test_add_form_loads_for_staff(staff_client):
    response = staff_client.get(ADD)

    assert response.status_code == 200


def test_change_form_shows_the_citys_memberships(staff_client):
    membership = MembershipFactory()

    response = staff_client.get(change_url(membership.city))

    assert response.status_code == 200
    (memberships,) = response.context["inline_admin_formsets"]
    assert [form.instance for form in memberships.formset.forms] == [membership]


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={CHANGELIST}"


def count_changelist_queries(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries), response.context["cl"].result_count


def test_changelist_queries_do_not_grow_with_rows(staff_client):
    MembershipFactory.create_batch(2)
    queries_for_few, rows_for_few = count_changelist_queries(staff_client)
    MembershipFactory.create_batch(18)

    queries_for_many, rows_for_many = count_changelist_queries(staff_client)

    assert (rows_for_few, rows_for_many) == (2, 20)
    assert queries_for_many == queries_for_few


def test_changelist_searches_by_name(staff_client):
    oslo = CityFactory(name="Oslo")
    CityFactory(name="Vejle")

    response = staff_client.get(CHANGELIST, {"q": "osl"})

    assert list(response.context["cl"].result_list) == [oslo]


def test_changelist_filters_by_country_and_kind(staff_client):
    copenhagen = CityFactory(name="Copenhagen", country="DK")
    CityFactory(name="Capital Region", country="DK", kind=City.Kind.METROPOLITAN)
    CityFactory(name="Oslo", country="NO")

    response = staff_client.get(CHANGELIST, {"country": "DK", "kind__exact": "city"})

    assert list(response.context["cl"].result_list) == [copenhagen]


def test_city_autocomplete_answers(staff_client):
    oslo = CityFactory(name="Oslo")
    CityFactory(name="Vejle")

    assert autocomplete(staff_client, "network", "headquarters", "osl") == [{"id": str(oslo.pk), "text": "Oslo (NO)"}]


# --- saving and constraint errors -------------------------------------------------


def test_adds_a_city_with_a_membership(staff_client):
    network, source = NetworkFactory(), SourceFactory()

    response = staff_client.post(ADD, city_data(memberships=[membership_row(network, source, joined="2014-01-01")]))

    assert response.status_code == 302
    oslo = City.objects.get()
    assert oslo.memberships.get().network == network


@pytest.mark.parametrize(
    ("existing", "form", "message"),
    [
        pytest.param(
            {"name": "Oslo", "country": "NO"},
            {},
            "A member place of this kind with this name already exists in this country.",
            id="same-name-country-and-kind",
        ),
        pytest.param(
            None,
            {"longitude": ""},
            "Give both latitude (-90..90) and longitude (-180..180), or neither.",
            id="latitude-without-longitude",
        ),
        pytest.param(
            {"geonames_id": 3143244},
            {"geonames_id": 3143244},
            "Another city already has this GeoNames id.",
            id="same-geonames-id",
        ),
        pytest.param(None, {"country": "no"}, "Use the two-letter ISO 3166-1 code, e.g. NO.", id="lower-case-country"),
    ],
)
def test_rejects_a_city_the_rules_forbid_and_saves_nothing(staff_client, existing, form, message):
    if existing is not None:
        CityFactory(**existing)

    response = staff_client.post(ADD, city_data(**form))

    assert response.status_code == 200
    assert message in error_messages(response)
    assert City.objects.count() == (1 if existing is not None else 0)


def test_rejects_inline_membership_that_ends_before_it_starts(staff_client):
    network, source = NetworkFactory(), SourceFactory()
    row = membership_row(network, source, joined="2014-01-01", left="2013-06-30")

    response = staff_client.post(ADD, city_data(memberships=[row]))

    assert response.status_code == 200
    assert "A membership cannot end before it starts." in error_messages(response)
    assert not City.objects.exists()
    assert not Membership.objects.exists()


def test_rejects_two_undated_inline_spells_in_one_network(staff_client):
    network, source = NetworkFactory(), SourceFactory()
    row = membership_row(network, source)

    response = staff_client.post(ADD, city_data(memberships=[row, row]))

    assert response.status_code == 200
    assert "This place already has a membership spell of this network with no start date." in error_messages(response)
    assert not City.objects.exists()
    assert not Membership.objects.exists()


def test_rejects_an_undated_inline_spell_beside_a_saved_undated_one(staff_client):
    spell = MembershipFactory(joined=None)

    response = staff_client.post(change_url(spell.city), with_a_new_spell(spell))

    assert response.status_code == 200
    assert "This place already has a membership spell of this network with no start date." in error_messages(response)
    assert Membership.objects.count() == 1


def test_rejects_an_inline_spell_that_repeats_a_saved_start(staff_client):
    spell = MembershipFactory(joined=datetime.date(2014, 1, 1))

    response = staff_client.post(change_url(spell.city), with_a_new_spell(spell, joined="2014-01-01"))

    assert response.status_code == 200
    assert "Please correct the duplicate data for network and joined, which must be unique." in (
        error_messages(response)
    )
    assert Membership.objects.count() == 1


def test_accepts_a_rejoining_spell_with_a_later_start(staff_client):
    spell = MembershipFactory(joined=datetime.date(2014, 1, 1))

    response = staff_client.post(change_url(spell.city), with_a_new_spell(spell, joined="2019-01-01"))

    assert response.status_code == 302
    assert spell.city.memberships.count() == 2
