import csv
import json

import pytest
from django.urls import reverse

from networks.models import Code
from networks.models import Coding
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import ParticipationFactory
from tests.factories import SourceFactory
from tests.factories import SubNetworkFactory

pytestmark = pytest.mark.django_db


def populate(network, n_cities, subnetwork=None):
    for city in CityFactory.create_batch(n_cities):
        MembershipFactory(city=city, network=network)
        EvidenceFactory(coding=CodingFactory(city=city, network=network))
        if subnetwork is not None:
            ParticipationFactory(city=city, network=network, subnetwork=subnetwork)


def rows_of(response):
    # Downloads open with "# " lines naming their sources and licences.
    lines = [line for line in response.content.decode().splitlines() if not line.startswith("# ")]
    return list(csv.DictReader(lines))


def figure_in(html, chart_id):
    """The figure JSON a page embeds for the chart with this id."""
    start = html.index(f'<script id="{chart_id}-data" type="application/json">') + len(
        f'<script id="{chart_id}-data" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def map_of(client, response):
    """The member map that a network page's script fetches (its chart's data-figure-url)."""
    html = response.content.decode()
    start = html.index('data-figure-url="') + len('data-figure-url="')
    answer = client.get(html[start : html.index('"', start)].replace("&amp;", "&"))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    return answer.json()


@pytest.fixture
def functions():
    return {
        slug: CodeFactory(code=slug, name=slug.title(), kind=Code.Kind.FUNCTION, position=position)
        for position, slug in enumerate(["policy", "capacity", "knowledge"], start=1)
    }


@pytest.fixture
def resilient(functions):
    """100RC as the study codes it: the network stresses capacity and policy, its cities knowledge."""
    network = NetworkFactory(name="100 Resilient Cities", acronym="100RC", slug="100rc")
    for code, salience in [("capacity", 3), ("policy", 3), ("knowledge", 1)]:
        own = CodingFactory(city=None, network=network, code=functions[code], salience=salience, perspective="network")
        EvidenceFactory(coding=own)
    vejle, chennai = CityFactory(name="Vejle", country="DK"), CityFactory(name="Chennai", country="IN")
    MembershipFactory(city=vejle, network=network)
    MembershipFactory(city=chennai, network=network)
    for city, code, salience in [(vejle, "knowledge", 3), (chennai, "capacity", 3), (chennai, "knowledge", 2)]:
        EvidenceFactory(coding=CodingFactory(city=city, network=network, code=functions[code], salience=salience))
    return network


def test_home_shows_counts_and_links_to_networks(client):
    network = NetworkFactory(name="Eurocities")
    populate(network, 3)
    response = client.get(reverse("networks:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert network.get_absolute_url() in html
    assert response.context["n_cities"] == 3 and response.context["n_memberships"] == 3


def test_home_explains_how_to_load_data_when_empty(client):
    assert "manage.py load_citynet" in client.get(reverse("networks:home")).content.decode()


def test_home_offers_a_search_box_and_the_ways_in(client):
    html = client.get(reverse("networks:home")).content.decode()
    assert f'action="{reverse("networks:search")}"' in html
    for name in ["compare", "compare_cities", "logics", "graph", "map", "quotes", "agreement", "release_list"]:
        assert reverse(f"networks:{name}") in html


@pytest.mark.parametrize("n_cities", [2, 60])
def test_home_runs_six_queries_whatever_the_data(client, django_assert_num_queries, n_cities):
    populate(NetworkFactory(), n_cities)
    # networks with member and coding counts (which add up to the count of codings), count of
    # places, of memberships; the codebook; then for "Cite this view": the newest release and
    # the study's citation
    with django_assert_num_queries(6):
        response = client.get(reverse("networks:home"))
    assert response.context["n_codings"] == Coding.objects.count() == n_cities


@pytest.mark.parametrize("n_cities", [5, 300])
def test_network_page_runs_the_same_queries_with_5_and_300_cities(client, django_assert_num_queries, n_cities):
    network = NetworkFactory()
    forum = SubNetworkFactory(network=network)
    EvidenceFactory(coding=CodingFactory(city=None, network=network, perspective=Coding.Perspective.NETWORK))
    populate(network, n_cities, subnetwork=forum)
    # network (+ head office, member-count source), themes, regional offices, sub-networks (+ parent),
    # the codebook, the functions the network offers and its members use (the function codes,
    # each member's highest salience summed up by the database, the members' names, the
    # network's own), the network's own codings and their evidence, the codings counted per
    # code, the first member codings and their evidence, the units taking part (with city,
    # sub-network and source), whether any member is on the map and those without coordinates,
    # the members' count and page (with city and source); then for "Cite this view": the
    # newest release and the study's citation. The map's places and the evidence behind the
    # chart's bars are pages of their own.
    with django_assert_num_queries(21):
        response = client.get(reverse("networks:network_detail", args=[network.slug]))
    members = response.context["memberships"]
    assert members.paginator.count == n_cities and len(members) == min(n_cities, 100)


@pytest.mark.parametrize("n_networks", [2, 30])
def test_network_list_runs_three_queries(client, django_assert_num_queries, n_networks):
    for network in NetworkFactory.create_batch(n_networks):
        populate(network, 2)
    # the networks with their counts;
    # then for "Cite this view": the newest release and the study's citation
    with django_assert_num_queries(3):
        response = client.get(reverse("networks:network_list"))
    assert [n.n_members for n in response.context["networks"]] == [2] * n_networks


def test_network_page_shows_its_own_view_beside_its_members_view(client):
    network = NetworkFactory(name="100 Resilient Cities")
    own = CodingFactory(city=None, network=network, perspective=Coding.Perspective.NETWORK, salience=3)
    EvidenceFactory(coding=own, text="Capacity building comes first.")
    member = CodingFactory(city=CityFactory(name="Vejle"), network=network, salience=3)
    EvidenceFactory(coding=member, text="Values knowledge sharing.")
    response = client.get(reverse("networks:network_detail", args=[network.slug]))
    assert list(response.context["own_codings"]) == [own]
    assert list(response.context["member_codings"]) == [member]
    html = response.content.decode()
    assert "Capacity building comes first." in html and "Values knowledge sharing." in html


def test_network_page_says_at_a_glance_what_the_network_stresses_and_what_its_members_stress(client, resilient):
    response = client.get(reverse("networks:network_detail", args=[resilient.slug]))
    html = " ".join(response.content.decode().split())
    assert "100RC's staff stress <strong>Policy and Capacity</strong>" in html
    assert "its members' informants stress <strong>Knowledge</strong>" in html
    figure = figure_in(response.content.decode(), "chart-offers")
    network_bars, member_bars = figure["data"]
    assert network_bars["x"] == [3, 3, 1] and member_bars["x"] == [0.0, 1.5, 2.5]
    # Nobody's informants name policy: the bar says so rather than showing a measured zero.
    assert member_bars["text"][0] == "not named"
    assert network_bars["customdata"] == ["offer-policy-network", "offer-capacity-network", "offer-knowledge-network"]


def test_network_page_shows_the_researchers_analysis_beside_the_informants_and_names_who_is_counted(
    client, resilient, functions
):
    porto_alegre = CityFactory(name="Porto Alegre", country="BR")
    MembershipFactory(city=porto_alegre, network=resilient)
    for city in resilient.memberships.values_list("city", flat=True):
        EvidenceFactory(
            coding=CodingFactory(
                city_id=city, network=resilient, code=functions["policy"], salience=2, perspective="researcher"
            ),
            text="Resilience strategy first.",
        )
    response = client.get(reverse("networks:network_detail", args=[resilient.slug]))
    html = " ".join(response.content.decode().split())
    figure = figure_in(response.content.decode(), "chart-offers")
    network_bars, member_bars, researcher_bars = figure["data"]
    assert "mean over 2 (Chennai, Vejle)" in member_bars["name"]
    assert "mean over 3 (Chennai, Porto Alegre, Vejle)" in researcher_bars["name"]
    assert researcher_bars["x"][0] == 2 and researcher_bars["customdata"][0] == "offer-policy-researchers"
    # The bar's evidence is on a page of its own, which the chart's table links to.
    evidence_url = reverse("networks:network_offer_evidence", args=[resilient.slug])
    assert f'href="{evidence_url}#offer-policy-researchers" data-evidence="offer-policy-researchers"' in html
    evidence = " ".join(client.get(evidence_url).content.decode().split())
    assert 'id="offer-policy-researchers"' in evidence and "Resilience strategy first." in evidence


def test_network_page_offers_csv_has_the_numbers_of_its_chart(client, resilient):
    response = client.get(
        reverse("networks:network_detail", args=[resilient.slug]), {"format": "csv", "chart": "offers"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="100rc-offers.csv"' in response["Content-Disposition"]
    rows = rows_of(response)
    assert [(row["code"], row["network_salience"], row["members_mean"]) for row in rows] == [
        ("policy", "3", "0.0"),
        ("capacity", "3", "1.5"),
        ("knowledge", "1", "2.5"),
    ]
    assert rows[2]["members"] == "Vejle (3); Chennai (2)"


def test_network_page_members_csv_lists_the_places_on_its_map(client, resilient):
    MembershipFactory(network=resilient, city=CityFactory(name="Alameda", country="US"), took_effect=False)
    url = reverse("networks:network_detail", args=[resilient.slug])
    rows = rows_of(client.get(url, {"format": "csv", "chart": "members"}))
    assert [row["name"] for row in rows] == ["Chennai", "Vejle"]
    assert rows[0]["networks"] == "100RC" and rows[0]["latitude"] == "59.9"
    figure = map_of(client, client.get(url))["figure"]
    assert sum(len(trace["lat"]) for trace in figure["data"]) == 2


def test_network_page_csv_of_a_chart_it_does_not_have_is_404(client, resilient):
    url = reverse("networks:network_detail", args=[resilient.slug])
    assert client.get(url, {"format": "csv", "chart": "nonsense"}).status_code == 404


def test_network_page_draws_its_map_with_our_own_plotly_and_topojson(client, resilient):
    html = client.get(reverse("networks:network_detail", args=[resilient.slug])).content.decode()
    assert 'src="/static/js/plotly.min.js"' in html and 'src="/static/js/citynet.js"' in html
    assert 'data-topojson-url="/static/topojson/"' in html
    assert "cdn.plot.ly" not in html and "<script>" not in html


def test_network_page_links_each_chart_to_its_csv(client, resilient):
    response = client.get(reverse("networks:network_detail", args=[resilient.slug]))
    assert response.context["csv_urls"] == {
        "offers": "/networks/100rc/?format=csv&chart=offers",
        "members": "/networks/100rc/?format=csv&chart=members",
    }


def test_network_page_says_when_nothing_is_coded(client):
    network = NetworkFactory(name="Metropolis")
    html = client.get(reverse("networks:network_detail", args=[network.slug])).content.decode()
    assert "Neither what Metropolis says it offers nor what its members say they use has been coded" in html
    assert "No memberships recorded" in html


def test_unknown_network_is_404(client):
    assert client.get(reverse("networks:network_detail", args=["c41"])).status_code == 404


def test_network_page_shows_a_page_of_members_and_links_to_all_of_them(client):
    network = NetworkFactory(slug="big")
    for city in CityFactory.create_batch(101):
        MembershipFactory(city=city, network=network)
    response = client.get(reverse("networks:network_detail", args=["big"]))
    members = response.context["memberships"]
    assert (members.paginator.count, len(members), members.has_next()) == (101, 100, True)
    html = response.content.decode()
    assert "/api/v1/memberships/?network=big&amp;format=csv" in html and "?members_page=2#members" in html
    second = client.get(reverse("networks:network_detail", args=["big"]), {"members_page": 2})
    assert len(second.context["memberships"]) == 1
    # The map still shows every member.
    assert sum(len(trace["lat"]) for trace in map_of(client, response)["figure"]["data"]) == 101


def test_network_page_shows_the_first_member_codings_and_links_to_all_of_them(client):
    network = NetworkFactory(slug="big")
    for city in CityFactory.create_batch(51):
        CodingFactory(city=city, network=network)
    response = client.get(reverse("networks:network_detail", args=["big"]))
    assert (len(response.context["member_codings"]), response.context["member_codings_count"]) == (50, 51)
    assert "/api/v1/codings/?network=big&amp;network_as_whole=false&amp;format=csv" in response.content.decode()


def test_network_page_lists_which_unit_of_which_city_takes_part_in_each_sub_network_with_its_source(client):
    network = NetworkFactory(name="Eurocities", slug="eurocities")
    environment = SubNetworkFactory(network=network, name="Environment Forum", slug="environment")
    SubNetworkFactory(network=network, name="Culture Forum", slug="culture")
    oslo, copenhagen = CityFactory(name="Oslo", slug="oslo"), CityFactory(name="Copenhagen", slug="copenhagen")
    interview = SourceFactory(kind="interview", label="Informant 2, 2018", interview_number=2, year=2018)
    study = SourceFactory(kind="study", label="Grønnestad & Nielsen 2018")
    ParticipationFactory(
        city=oslo,
        network=network,
        subnetwork=environment,
        unit="Agency for Climate",
        involvement="regular",
        source=interview,
        locator="p. 67",
    )
    ParticipationFactory(city=copenhagen, network=network, subnetwork=None, unit="politicians", source=study)
    html = client.get(reverse("networks:network_detail", args=["eurocities"])).content.decode()
    forum_row = html[html.index('id="subnetwork-environment"') :]
    forum_row = forum_row[: forum_row.index("</tr>")]
    assert "Oslo" in forum_row and "Agency for Climate" in forum_row and "regular" in forum_row
    assert "Interview 2, 2018, p. 67" in forum_row
    culture_row = html[html.index('id="subnetwork-culture"') :]
    assert "none recorded" in culture_row[: culture_row.index("</tr>")]
    whole = html[html.index('id="subnetwork-none"') :]
    assert "Copenhagen" in whole[: whole.index("</tr>")] and "Grønnestad &amp; Nielsen 2018" in whole


def test_network_page_names_interview_sources_alike_and_unfolds_the_original_and_full_citation(client):
    network = NetworkFactory(slug="eurocities")
    informant = SourceFactory(
        kind="interview",
        label="Informant 2, 2018",
        interview_number=2,
        year=2018,
        citation='Interview 2, 2018 (Oslo). Cited in the study as "Informant 2".',
    )
    numbered = SourceFactory(kind="interview", label="Interview 3, 2018", interview_number=3, year=2018)
    oslo = CodingFactory(city=CityFactory(name="Oslo"), network=network)
    EvidenceFactory(
        coding=oslo,
        source=informant,
        locator="p. 67",
        kind="quote",
        text="Exchange of experience",
        original_text="Erfaringsudveksling",
        language="da",
    )
    EvidenceFactory(coding=CodingFactory(city=CityFactory(name="Vejle"), network=network), source=numbered)
    html = client.get(reverse("networks:network_detail", args=["eurocities"])).content.decode()
    assert "<cite>Interview 2, 2018, p. 67</cite>" in html and "<cite>Interview 3, 2018" in html
    assert "<cite>Informant 2" not in html
    assert '<p class="original" lang="da"><q>Erfaringsudveksling</q></p>' in html
    assert "Cited in the study as &quot;Informant 2&quot;., p. 67" in html


def test_a_network_page_lists_its_first_units_taking_part_and_links_to_all_of_them(client):
    from networks.views import PARTICIPATIONS_SHOWN

    network = NetworkFactory(slug="c40")
    for index in range(PARTICIPATIONS_SHOWN + 1):
        ParticipationFactory(network=network, city=CityFactory(name=f"City {index:03d}"), unit=f"Unit {index:03d}")
    html = client.get(reverse("networks:network_detail", args=["c40"])).content.decode()
    assert f"Unit {PARTICIPATIONS_SHOWN - 1:03d}" in html and f"Unit {PARTICIPATIONS_SHOWN:03d}" not in html
    assert "More units take part than are listed here" in html
    assert f"{reverse('api:participation-list')}?network=c40&amp;format=csv" in html
