"""The network page built from an empty cache within its budget (issue 15): what a network offers
and its members use summed up per member by the database, and the member map and the evidence
behind the chart's bars as pages of their own that the page's script fetches."""

from collections import defaultdict

import pytest
from django.urls import reverse

from networks import charts
from networks.aggregates.offers import offer_and_use_from_highest
from networks.aggregates.shapes import OFFER_CODINGS_SHOWN
from networks.aggregates.shapes import OFFER_SIDE_LABELS
from networks.importing.study import study_load
from networks.models import Code
from networks.models import Coding
from networks.models import Network
from networks.salience import highest
from networks.salience import salience_rank
from networks.selectors import offers_of_network
from networks.views import OFFER_NAMES_SHOWN
from tests.factories import CityFactory
from tests.factories import CodebookVersionFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory

pytestmark = pytest.mark.django_db

SIDES = {"city": "members", "researcher": "researchers"}


def counted_from_every_coding(network: Network) -> dict:
    """What the page counted before (issue 15), coding by coding: per side, each member's
    highest salience per function code, the members naming each, the names in full."""
    saliences = {side: defaultdict(dict) for side in SIDES.values()}
    names = {}
    for coding in Coding.objects.filter(network=network, city__isnull=False, code__kind=Code.Kind.FUNCTION):
        side = SIDES.get(coding.perspective)
        if side is None:
            continue
        found, code = saliences[side][coding.city.slug], coding.code.code
        names[coding.city.slug] = coding.city.name
        found[code] = highest([found[code], coding.salience]) if code in found else coding.salience
    functions = {}
    for code in Code.objects.current().filter(kind=Code.Kind.FUNCTION):
        function = {}
        for side, by_city in saliences.items():
            naming = [slug for slug, codes in by_city.items() if code.code in codes]
            ranked = sorted((-salience_rank(by_city[slug][code.code]), names[slug], slug) for slug in naming)
            unrated = sum(by_city[slug][code.code] is None for slug in naming)
            total = sum(by_city[slug][code.code] or 0 for slug in naming)
            counted = len(by_city) - unrated
            function[side] = [(name, slug, by_city[slug][code.code]) for _rank, name, slug in ranked]
            function[f"{side}_mean"] = round(total / counted, 2) if counted else None
            function[f"{side}_unrated"] = unrated
        functions[code.code] = function
    counted = {side: sorted(names[slug] for slug in by_city) for side, by_city in saliences.items()}
    return {"functions": functions, "counted": counted}


def assert_same_offers(offers: dict, expected: dict, shown: int | None = None) -> None:
    for side in SIDES.values():
        assert offers[f"{side}_coded"] == len(expected["counted"][side])
        assert offers[f"{side}_counted"] == expected["counted"][side][:shown]
    assert [function["code"] for function in offers["functions"]] == list(expected["functions"])
    for function in offers["functions"]:
        reference = expected["functions"][function["code"]]
        for side in SIDES.values():
            named = [(member["name"], member["slug"], member["salience"]) for member in function[side]]
            assert named == reference[side][:shown]
            assert function[f"{side}_mentioning"] == len(reference[side])
            assert function[f"{side}_mean"] == reference[f"{side}_mean"]
            assert function[f"{side}_unrated"] == reference[f"{side}_unrated"]
            assert all(
                member["url"] == reverse("cities:city_detail", args=[member["slug"]]) for member in function[side]
            )


def test_the_offers_summed_up_per_member_are_those_counted_from_every_coding_of_the_study():
    study_load()
    codes = list(Code.objects.current())
    networks = Network.objects.filter(codings__city__isnull=False).distinct()
    assert networks.count() >= 2
    for network in networks:
        expected = counted_from_every_coding(network)
        assert_same_offers(offers_of_network(network, codes), expected)
        assert_same_offers(offers_of_network(network, codes, shown=3), expected, shown=3)


def test_a_page_names_the_first_members_of_each_bar_and_counts_them_all():
    function = Code.Kind.FUNCTION
    policy = CodeFactory(code="policy", name="Policy", kind=function, position=1)
    capacity = CodeFactory(code="capacity", name="Capacity", kind=function, position=2)
    # The same code in an older codebook: a member coded in both versions counts once, at its highest.
    old_policy = CodeFactory(
        code="policy", kind=function, position=3, version=CodebookVersionFactory(label="old", is_current=False)
    )
    network = NetworkFactory()
    second_coder = CoderFactory()
    for index in range(OFFER_NAMES_SHOWN + 7):
        city = CityFactory(name=f"City {(index * 7) % 31:02d}")
        MembershipFactory(city=city, network=network)
        salience = None if index % 5 == 0 else index % 4
        CodingFactory(city=city, network=network, code=policy, salience=salience)
        if index % 3 == 0:
            CodingFactory(city=city, network=network, code=policy, salience=3 - (index % 4), coder=second_coder)
        if index % 4 == 0:
            CodingFactory(city=city, network=network, code=old_policy, salience=2)
        if index % 2 == 0:
            CodingFactory(city=city, network=network, code=capacity, salience=index % 3, perspective="researcher")
    CodingFactory(city=None, network=network, code=capacity, salience=3, perspective="network")

    offers = offers_of_network(network, list(Code.objects.current()), shown=OFFER_NAMES_SHOWN)

    assert_same_offers(offers, counted_from_every_coding(network), shown=OFFER_NAMES_SHOWN)
    assert offers["functions"][1]["network_salience"] == 3
    assert offers["members_coded"] == OFFER_NAMES_SHOWN + 7 and len(offers["members_counted"]) == OFFER_NAMES_SHOWN


def test_offers_of_a_network_with_no_function_codes_are_empty():
    network = NetworkFactory()
    CodingFactory(city=CityFactory(), network=network, code=CodeFactory(kind=Code.Kind.LOGIC))
    offers = offers_of_network(network, list(Code.objects.current()))
    assert offers["functions"] == [] and offers["members_coded"] == 0 and offers["members_counted"] == []


# The member map: a page of its own.


def map_address(html: str) -> str:
    start = html.index('data-figure-url="') + len('data-figure-url="')
    return html[start : html.index('"', start)].replace("&amp;", "&")


def test_the_network_page_leaves_its_member_map_to_its_script_and_says_what_it_shows(client):
    network = NetworkFactory(slug="c40")
    for name in ("Oslo", "Lima"):
        MembershipFactory(network=network, city=CityFactory(name=name))
    MembershipFactory(network=network, city=CityFactory(name="Nowhere", latitude=None, longitude=None))

    html = client.get(network.get_absolute_url()).content.decode()

    assert map_address(html) == reverse("networks:network_members_map", args=["c40"])
    assert 'id="chart-members-map-data"' not in html and '"scattergeo"' not in html
    # Without scripts: the caption, the list of the member places, the CSV and who is not on the map.
    assert "Member places with coordinates" in html and f"{reverse('cities:city_list')}?network=c40" in html
    assert "Not on the map, for want of coordinates" in html and "Nowhere" in html
    assert "/networks/c40/?format=csv&amp;chart=members" in html


@pytest.mark.parametrize("n_members", [3, 60])
def test_the_member_map_runs_two_queries_and_draws_every_place(client, django_assert_num_queries, n_members):
    network = NetworkFactory(slug="c40", acronym="C40")
    for city in CityFactory.create_batch(n_members):
        MembershipFactory(network=network, city=city)
    MembershipFactory(network=network, city=CityFactory(), took_effect=False)
    # the network; the places of its spells that took effect (with their networks)
    with django_assert_num_queries(2):
        response = client.get(reverse("networks:network_members_map", args=["c40"]))
    figures = response.json()
    wide, narrow = figures["figure"], figures["narrow_figure"]
    assert sum(len(trace["lat"]) for trace in wide["data"]) == n_members
    assert all(url.startswith("/cities/") for trace in wide["data"] for url in trace["customdata"])
    # A phone draws the same places with a layout of its own.
    assert "data" not in narrow and narrow["layout"]["height"] != wide["layout"]["height"]


def test_the_member_map_of_an_unknown_network_is_404(client):
    assert client.get(reverse("networks:network_members_map", args=["c41"])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_member_maps_address_changes_with_the_memberships_and_browsers_keep_it(client):
    network = NetworkFactory(slug="c40")
    oslo = CityFactory(name="Oslo")
    MembershipFactory(network=network, city=oslo)
    first = map_address(client.get(network.get_absolute_url()).content.decode())
    assert "?v=" in first
    kept = client.get(first)
    assert "immutable" in kept["Cache-Control"] and "max-age=31536000" in kept["Cache-Control"]
    # A coding is not on the map: the address stays.
    CodingFactory(network=network, city=oslo)
    assert map_address(client.get(network.get_absolute_url()).content.decode()) == first
    MembershipFactory(network=network, city=CityFactory(name="Lima"))
    second = map_address(client.get(network.get_absolute_url()).content.decode())
    assert second != first
    assert sum(len(trace["lat"]) for trace in client.get(second).json()["figure"]["data"]) == 2
    # An old address answers with the current map, which browsers must not keep under it.
    stale = client.get(first)
    assert stale.status_code == 200 and "immutable" not in stale.get("Cache-Control", "")


# The evidence behind the chart's bars: a page of its own.


def test_every_bar_of_the_chart_links_to_its_evidence_on_the_evidence_page(client):
    policy = CodeFactory(code="policy", name="Policy", kind=Code.Kind.FUNCTION, position=1)
    network = NetworkFactory(slug="c40")
    city = CityFactory(name="Oslo")
    MembershipFactory(network=network, city=city)
    EvidenceFactory(coding=CodingFactory(network=network, city=city, code=policy, salience=2), text="We share.")
    EvidenceFactory(
        coding=CodingFactory(network=network, city=None, code=policy, salience=3, perspective="network"),
        text="We offer policy advice.",
    )

    html = client.get(network.get_absolute_url()).content.decode()
    evidence_url = reverse("networks:network_offer_evidence", args=["c40"])
    evidence = client.get(evidence_url).content.decode()

    assert "We offer policy advice." in html  # the network's own codings are listed on the page
    assert '<article class="evidence-cell"' not in html
    for side in OFFER_SIDE_LABELS:
        anchor = f"offer-policy-{side}"
        assert f'href="{evidence_url}#{anchor}" data-evidence="{anchor}"' in html
        assert f'<article class="evidence-cell" id="{anchor}"' in evidence
    assert "We share." in evidence and "We offer policy advice." in evidence
    assert f'<a href="{network.get_absolute_url()}#offers">' in evidence


@pytest.mark.parametrize("n_cities", [5, 300])
def test_the_evidence_page_runs_the_same_queries_with_5_and_300_cities(client, django_assert_num_queries, n_cities):
    policy = CodeFactory(code="policy", name="Policy", kind=Code.Kind.FUNCTION, position=1)
    network = NetworkFactory(slug="c40")
    for index, city in enumerate(CityFactory.create_batch(n_cities)):
        MembershipFactory(network=network, city=city)
        EvidenceFactory(coding=CodingFactory(network=network, city=city, code=policy, salience=index % 4))
    EvidenceFactory(coding=CodingFactory(network=network, city=None, code=policy, perspective="network"))
    # the network; the codebook; what it offers and its members use (the function codes, each
    # member's highest salience, the members' names, the network's own); the network's own
    # function codings and their evidence; the codings per function, perspective and salience
    # (the function codes, the counts); the first codings of each bar (found, then fetched)
    # and their evidence; then for "Cite this view": the newest release and the study's citation
    with django_assert_num_queries(15):
        response = client.get(reverse("networks:network_offer_evidence", args=["c40"]))
    bars = {bar["anchor"]: bar for bar in response.context["offer_bars"]}
    listed = min(n_cities, OFFER_CODINGS_SHOWN)
    assert len(bars["offer-policy-members"]["codings"]) == listed
    assert bars["offer-policy-members"]["more"] == n_cities - listed


def test_the_chart_counts_the_members_a_page_does_not_name():
    codes = [Code(pk=1, code="knowledge", name="Knowledge", kind=Code.Kind.FUNCTION, position=1)]
    highest_rows = [("city", "knowledge", n, 3 if n < 5 else 1) for n in range(25)]
    names = {n: (f"City {n:02}", f"city-{n:02}") for n in range(25)}
    offers = offer_and_use_from_highest({}, highest_rows, names, codes, shown=2)
    assert [member["name"] for member in offers["functions"][0]["members"]] == ["City 00", "City 01"]

    trace = charts.offer_and_use_figure(offers)["data"][1]

    assert trace["name"].endswith("mean over 25 (City 00, City 01 and 23 more)")
    assert "City 00 3, City 01 3 and 23 more" in trace["hovertext"][0]
