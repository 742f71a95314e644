"""The pages about many networks at once: which networks share members (/networks/overlap/),
members per year (/networks/timeline/), and a city's networks with the places most like it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from networks.models import Membership
from networks.overlap import network_portfolio
from networks.overlap import places_like
from tests.factories import CityFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory
from tests.factories import ThemeFactory

pytestmark = pytest.mark.django_db

OVERLAP = reverse("networks:overlap")
TIMELINE = reverse("networks:timeline")


@pytest.fixture
def field() -> dict:
    """C40 (Oslo, Paris, Lagos), GCoM (Oslo, Paris, Vejle), Eurocities (Oslo; Paris left 2015)."""
    c40 = NetworkFactory(name="C40 Cities", acronym="C40", slug="c40")
    gcom = NetworkFactory(name="Global Covenant of Mayors", acronym="GCoM", slug="gcom")
    eurocities = NetworkFactory(name="Eurocities", slug="eurocities", scope="regional", region="Europe")
    climate = ThemeFactory(name="Climate", slug="climate")
    c40.themes.add(climate)
    gcom.themes.add(climate)
    oslo = CityFactory(name="Oslo", slug="oslo", country="NO", population=700_000)
    paris = CityFactory(name="Paris", slug="paris", country="FR", population=2_100_000)
    lagos = CityFactory(name="Lagos", slug="lagos", country="NG", population=8_000_000)
    vejle = CityFactory(name="Vejle", slug="vejle", country="DK", population=60_000)
    for network, places in ((c40, [oslo, paris, lagos]), (gcom, [oslo, paris, vejle]), (eurocities, [oslo])):
        for place in places:
            MembershipFactory(city=place, network=network, joined=datetime.date(2012, 1, 1))
    MembershipFactory(
        city=paris,
        network=eurocities,
        joined=datetime.date(2010, 3, 1),
        joined_precision="month",
        left=datetime.date(2015, 12, 31),
        left_precision="year",
    )
    return {"c40": c40, "gcom": gcom, "eurocities": eurocities, "oslo": oslo, "paris": paris, "vejle": vejle}


def larger_field(places: int = 300, networks: int = 12) -> None:
    """`places` places in `networks` networks, each place in about a third of them."""
    source = SourceFactory()
    made = [NetworkFactory() for _ in range(networks)]
    cities = [CityFactory(country=("NO", "FR", "NG")[number % 3]) for number in range(places)]
    Membership.objects.bulk_create(
        Membership(
            city=city,
            network=network,
            joined=datetime.date(2000 + n % 20, 1, 1),
            joined_precision="year",
            source=source,
        )
        for number, city in enumerate(cities)
        for n, network in enumerate(made)
        if (number + n) % 3 == 0
    )


def test_overlap_counts_the_places_two_networks_share(client, field):
    response = client.get(OVERLAP)
    assert response.status_code == 200
    data = response.context["overlap"]
    labels = [network["label"] for network in data["networks"]]
    assert labels == ["C40", "GCoM", "Eurocities"]
    assert data["cells"][0][1]["shared"] == 2
    pairs = {(pair["a"], pair["b"]): pair["shared"] for pair in data["pairs"]}
    assert pairs == {("C40", "GCoM"): 2, ("C40", "Eurocities"): 2, ("GCoM", "Eurocities"): 2}


def test_a_pair_lists_its_shared_members_and_keeps_the_filters(client, field):
    response = client.get(OVERLAP, {"a": "c40", "b": "gcom", "region": "EU"})
    names = [place.name for place in response.context["members"]]
    assert names == ["Oslo", "Paris"]
    assert "Members of both C40 Cities and Global Covenant of Mayors" in response.content.decode()
    overlap = response.context["overlap"]
    assert [network["label"] for network in overlap["networks"]] == ["GCoM", "C40", "Eurocities"]
    assert overlap["cells"][1][0]["url"] == "/networks/overlap/?region=EU&a=c40&b=gcom#members"


def test_filters_keep_places_by_region_population_and_networks_by_theme(client, field):
    response = client.get(OVERLAP, {"region": "EU", "theme": "climate", "population": "500k-1m"})
    networks = response.context["overlap"]["networks"]
    assert [(network["label"], network["members"]) for network in networks] == [("C40", 1), ("GCoM", 1)]


def test_current_only_leaves_out_spells_that_ended(client, field):
    response = client.get(OVERLAP, {"status": "current", "network": ["eurocities"]})
    assert response.context["overlap"]["networks"][0]["members"] == 1


def test_an_unknown_filter_value_is_a_bad_request(client, field):
    assert client.get(OVERLAP, {"region": "Atlantis"}).status_code == 400
    assert client.get(TIMELINE, {"limit": "7"}).status_code == 400


def test_overlap_downloads_its_pairs_and_members_as_csv(client, field):
    pairs = client.get(OVERLAP, {"format": "csv"}).content.decode()
    assert '"a","a_slug","b","b_slug","shared"' in pairs
    assert '"C40","c40","GCoM","gcom",2,3,3,0.667,0.667,0.5' in pairs
    members = client.get(OVERLAP, {"format": "csv", "chart": "members", "a": "c40", "b": "gcom"}).content.decode()
    assert '"Oslo","oslo","NO"' in members and "Lagos" not in members


def test_an_unknown_network_in_a_pair_is_not_found(client, field):
    assert client.get(OVERLAP, {"a": "nowhere"}).status_code == 404


def test_timeline_counts_members_per_year_by_the_years_the_dates_are_known_to(client, field):
    response = client.get(TIMELINE, {"network": ["eurocities"]})
    (network,) = response.context["timeline"]["networks"]
    series = {point["year"]: point["members"] for point in response.context["timeline"]["series"][network["id"]]}
    # Paris from March 2010 to some time in 2015; Oslo from 2012.
    assert series[2010] == 1 and series[2012] == 2 and series[2015] == 2 and series[2016] == 1
    csv = client.get(TIMELINE, {"network": ["eurocities"], "format": "csv"}).content.decode()
    assert '"Eurocities","eurocities",2015,2,0,1' in csv
    assert f'"Eurocities","eurocities",{timezone.localdate().year},1,0,0' in csv


def test_timeline_names_rather_than_draws_networks_known_only_from_undated_member_lists(client, field):
    # A member list without dates, as ClimActor's yearly snapshots are: no year to count a member in.
    snapshot = NetworkFactory(name="Snapshot Network", acronym="SN", slug="snapshot")
    for place in (field["oslo"], field["paris"], field["vejle"], CityFactory(), CityFactory()):
        MembershipFactory(city=place, network=snapshot, joined=None, listed_on=datetime.date(2022, 12, 31))
    response = client.get(TIMELINE)
    # The largest network by members (5) is left out of the lines, not drawn as five years of zeros.
    assert [network["label"] for network in response.context["timeline"]["networks"]] == ["C40", "GCoM", "Eurocities"]
    html = " ".join(response.content.decode().split())
    assert 'no year can count them: <a href="/networks/snapshot/">SN</a> 5 spells.' in html
    # Chosen, it is named the same way, and the networks drawn say nothing of it.
    chosen = client.get(TIMELINE, {"network": ["snapshot", "eurocities"]})
    assert [network["label"] for network in chosen.context["timeline"]["networks"]] == ["Eurocities"]
    assert 'no year can count them: <a href="/networks/snapshot/">SN</a> 5 spells.' in " ".join(
        chosen.content.decode().split()
    )
    csv = client.get(TIMELINE, {"network": ["snapshot"], "format": "csv"}).content.decode()
    assert '"snapshot"' not in csv and '"SN"' not in csv


def test_city_page_shows_its_networks_and_the_places_most_like_it(client, field):
    response = client.get(reverse("cities:city_detail", args=["paris"]))
    html = response.content.decode()
    assert "All its networks" in html
    rows = response.context["network_portfolio"]
    assert [(row["network"].slug, row["current"]) for row in rows] == [
        ("c40", True),
        ("gcom", True),
        ("eurocities", False),
    ]
    assert rows[-1]["since"] == "Mar 2010"
    # Counted over every spell of the register, the places most like it come from a page of
    # their own, which the city page links to and fetches.
    similar = reverse("cities:city_similar", args=["paris"])
    assert f'data-include="{similar}"' in html and f'<a href="{similar}">' in html
    response = client.get(similar)
    like = response.context["places_like"]
    assert like[0]["slug"] == "oslo" and like[0]["jaccard"] == 1.0
    assert 'id="places-like-list"' in response.content.decode()


def test_places_like_ranks_by_jaccard_over_network_sets(field):
    vejle = field["vejle"]
    city = type(vejle).objects.prefetch_related("memberships__network").get(pk=vejle.pk)
    like = places_like(city)
    # Vejle {GCoM}; Oslo and Paris {C40, GCoM, Eurocities}: 1 / 3.
    assert [(row["slug"], row["jaccard"], row["in_common"]) for row in like] == [
        ("oslo", 0.33, ["GCoM"]),
        ("paris", 0.33, ["GCoM"]),
    ]


def test_city_portfolio_lists_themes_in_one_query(field, django_assert_num_queries):
    oslo = type(field["oslo"]).objects.prefetch_related("memberships__network").get(pk=field["oslo"].pk)
    with django_assert_num_queries(1):
        rows = network_portfolio(oslo)
    # All three since 2012, so by name: C40 Cities, Eurocities, Global Covenant of Mayors.
    assert [row["themes"] for row in rows] == [["Climate"], [], ["Climate"]]


# Every page: the form's choices (countries, themes, networks), the shown networks (one grouped
# count), their (network, place) pairs or spells, and the page's citation (study sources, releases).
# The timeline: also the other networks with undated spells. With a pair: its two networks, then
# the shared members' count and page.
@pytest.mark.parametrize(("url", "queries"), [(OVERLAP, 7), (TIMELINE, 8), (OVERLAP + "?a=c40&b=gcom", 11)])
def test_many_network_pages_run_the_same_queries_at_any_size(
    client, field, url, queries, django_assert_max_num_queries
):
    with django_assert_max_num_queries(queries):
        assert client.get(url).status_code == 200
    larger_field()
    with django_assert_max_num_queries(queries):
        response = client.get(url)
    assert len(response.context["overlap" if "overlap" in url else "timeline"]["networks"]) == (
        15 if "overlap" in url else 10
    )


def test_city_page_runs_the_same_queries_with_many_networks_and_places(client, field, django_assert_max_num_queries):
    url = reverse("cities:city_detail", args=["oslo"])
    client.get(url)
    with django_assert_max_num_queries(40) as small:
        client.get(url)
    larger_field()
    source = SourceFactory()
    Membership.objects.bulk_create(
        Membership(city=field["oslo"], network=NetworkFactory(), joined=datetime.date(2020, 1, 1), source=source)
        for _ in range(15)
    )
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["network_portfolio"]) == 18
