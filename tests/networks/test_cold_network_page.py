"""The network page of a large network, built from an empty cache (issue 15): the first member
codings and the codings behind each bar of the offer-and-use chart (on a page of their own) are
found per code and per bar rather than by ordering all of a network's codings, and must be the
same ones."""

import pytest
from django.db.models import F
from django.urls import reverse

from networks.aggregates.shapes import OFFER_CODINGS_SHOWN
from networks.models import Code
from networks.models import Coding
from tests.factories import CityFactory
from tests.factories import CodebookVersionFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def codes():
    function = Code.Kind.FUNCTION
    return {
        "policy": CodeFactory(code="policy", name="Policy", kind=function, position=1),
        "capacity": CodeFactory(code="capacity", name="Capacity", kind=function, position=2),
        "appropriateness": CodeFactory(code="appropriateness", name="Appropriateness", kind="logic", position=1),
    }


def members(network, n, prefix="City"):
    cities = [CityFactory(name=f"{prefix} {index:02d}") for index in range(n)]
    for city in cities:
        MembershipFactory(city=city, network=network)
    return cities


def page(client, network):
    response = client.get(reverse("networks:network_detail", args=[network.slug]))
    assert response.status_code == 200
    return response


def evidence_page(client, network):
    """The page with the codings behind each bar of the network page's offer-and-use chart."""
    response = client.get(reverse("networks:network_offer_evidence", args=[network.slug]))
    assert response.status_code == 200
    return response


def test_the_first_member_codings_run_across_codes_in_codebook_order(client, codes):
    network = NetworkFactory()
    cities = members(network, 60)
    # Three codings of the first code, then more than a page of the second and the logic.
    for city in cities[:3]:
        CodingFactory(city=city, network=network, code=codes["policy"])
    for city in reversed(cities):
        CodingFactory(city=city, network=network, code=codes["capacity"])
        CodingFactory(city=city, network=network, code=codes["appropriateness"])
    CodingFactory(city=None, network=network, code=codes["policy"], perspective=Coding.Perspective.NETWORK)

    response = page(client, network)

    expected = Coding.objects.of_members(network).order_by("code__kind", "code__position", "city__name", "pk")
    shown = response.context["member_codings"]
    assert [coding.pk for coding in shown] == [coding.pk for coding in expected[:50]]
    assert [coding.code.code for coding in shown] == ["policy"] * 3 + ["capacity"] * 47
    assert [coding.city.name for coding in shown[3:6]] == ["City 00", "City 01", "City 02"]
    assert response.context["member_codings_count"] == 123
    assert "The first 50 of 123, by code and city" in response.content.decode()


def test_the_first_member_codings_of_one_code_are_by_city_name(client, codes):
    network = NetworkFactory()
    for city in reversed(members(network, 55)):
        CodingFactory(city=city, network=network, code=codes["policy"])
    CodingFactory(city=CityFactory(name="Aardvark"), network=network, code=codes["capacity"])

    shown = page(client, network).context["member_codings"]

    assert [coding.city.name for coding in shown] == [f"City {index:02d}" for index in range(50)]


def test_each_bar_lists_its_first_codings_by_salience_then_name_and_counts_them_all(client, codes):
    network = NetworkFactory()
    cities = members(network, OFFER_CODINGS_SHOWN + 5)
    second_coder = CoderFactory()
    for index, city in enumerate(cities):
        # Salience 1 for most, 3 for every fourth, unrated for two: the rated come first.
        salience = None if index in (0, 1) else 3 if index % 4 == 0 else 1
        for code in ("policy", "capacity"):
            EvidenceFactory(coding=CodingFactory(city=city, network=network, code=codes[code], salience=salience))
        CodingFactory(
            city=city, network=network, code=codes["capacity"], salience=2, perspective=Coding.Perspective.RESEARCHER
        )
    # A second coder of one city: both codings are behind the bar.
    CodingFactory(city=cities[5], network=network, code=codes["policy"], salience=2, coder=second_coder)
    CodingFactory(city=None, network=network, code=codes["capacity"], salience=3, perspective="network")

    response = evidence_page(client, network)

    bars = {bar["anchor"]: bar for bar in response.context["offer_bars"]}
    every = Coding.objects.filter(network=network, code__kind=Code.Kind.FUNCTION).order_by(
        F("salience").desc(nulls_last=True), "city__name", "pk"
    )
    for anchor, codings in {
        "offer-policy-members": every.filter(code__code="policy", perspective="city"),
        "offer-capacity-members": every.filter(code__code="capacity", perspective="city"),
        "offer-capacity-researchers": every.filter(code__code="capacity", perspective="researcher"),
    }.items():
        bar = bars[anchor]
        assert [coding.pk for coding in bar["codings"]] == [coding.pk for coding in codings[:OFFER_CODINGS_SHOWN]]
        assert bar["more"] == codings.count() - OFFER_CODINGS_SHOWN
    # One coding of each member, and the second coder's: all of them counted, the first listed.
    total = OFFER_CODINGS_SHOWN + 6
    assert bars["offer-policy-members"]["more"] == total - OFFER_CODINGS_SHOWN
    assert [coding.salience for coding in bars["offer-capacity-network"]["codings"]] == [3]
    assert bars["offer-policy-network"]["codings"] == [] and bars["offer-policy-network"]["more"] == 0
    html = response.content.decode()
    assert f"{total} name it" in html
    assert f"And {total - OFFER_CODINGS_SHOWN} more" in html


def test_bars_of_every_function_show_their_codings_however_many_the_first_has(client, codes):
    """A bar's codings are its own first ones, not what is left of a limit shared by every bar
    (a large network's first function alone has thousands)."""
    network = NetworkFactory()
    for city in members(network, 30):
        for _ in range(12):
            CodingFactory(city=city, network=network, code=codes["policy"], salience=3)
        CodingFactory(city=city, network=network, code=codes["capacity"], salience=1)

    bars = {bar["anchor"]: bar for bar in evidence_page(client, network).context["offer_bars"]}

    assert len(bars["offer-capacity-members"]["codings"]) == OFFER_CODINGS_SHOWN
    assert bars["offer-capacity-members"]["more"] == 30 - OFFER_CODINGS_SHOWN
    assert bars["offer-policy-members"]["more"] == 360 - OFFER_CODINGS_SHOWN


def test_a_bar_of_a_code_in_two_codebook_versions_lists_them_in_codebook_order(client, codes):
    old = CodeFactory(
        code="policy",
        kind=Code.Kind.FUNCTION,
        position=4,
        version=CodebookVersionFactory(label="old", is_current=False),
    )
    network = NetworkFactory()
    # More codings of the current code (lower salience) than the bar lists, then the old code's.
    current = OFFER_CODINGS_SHOWN - 2
    cities = members(network, OFFER_CODINGS_SHOWN + 5)
    for city in cities[:current]:
        CodingFactory(city=city, network=network, code=codes["policy"], salience=1)
    for city in cities[current:]:
        CodingFactory(city=city, network=network, code=old, salience=3)

    bar = {bar["anchor"]: bar for bar in evidence_page(client, network).context["offer_bars"]}["offer-policy-members"]

    expected = Coding.objects.filter(network=network).order_by(
        "code__position", F("salience").desc(nulls_last=True), "city__name", "pk"
    )
    assert [coding.pk for coding in bar["codings"]] == [coding.pk for coding in expected[:OFFER_CODINGS_SHOWN]]
    assert [coding.code.position for coding in bar["codings"]] == [1] * current + [4] * 2
    assert bar["more"] == 5


def test_home_counts_every_coding_from_the_networks_counts(client, codes):
    for network in NetworkFactory.create_batch(3):
        for city in members(network, 2, prefix=network.slug):
            CodingFactory(city=city, network=network, code=codes["policy"])
        CodingFactory(city=None, network=network, code=codes["capacity"], perspective="network")

    response = client.get(reverse("networks:home"))

    assert response.context["n_codings"] == Coding.objects.count() == 9
    assert [network.n_codings for network in response.context["networks"]] == [3, 3, 3]
    assert "<strong>9</strong>" in response.content.decode()
