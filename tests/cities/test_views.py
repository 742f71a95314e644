import csv
import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from networks.models import Code
from networks.models import Evidence
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CodingFactory
from tests.factories import EngagementObservationFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import ParticipationFactory
from tests.factories import SourceFactory
from tests.factories import SubNetworkFactory

pytestmark = pytest.mark.django_db


def make_city_with_everything(network):
    city = CityFactory()
    MembershipFactory(city=city, network=network)
    coding = CodingFactory(city=city, network=network)
    EvidenceFactory(coding=coding)
    EvidenceFactory(coding=coding, kind=Evidence.Kind.QUOTE)
    ParticipationFactory(city=city, network=network)
    EngagementObservationFactory(city=city, network=network)
    return city


def rows_of(response):
    # Downloads open with "# " lines naming their sources and licences.
    lines = [line for line in response.content.decode().splitlines() if not line.startswith("# ")]
    return list(csv.DictReader(lines))


@pytest.fixture
def london():
    """London in two networks: both serve knowledge sharing, neither representation."""
    codes = {
        "representation": CodeFactory(code="representation", name="Representation", position=1),
        "knowledge": CodeFactory(code="knowledge", name="Knowledge sharing", position=4),
        "appropriateness": CodeFactory(code="appropriateness", name="Appropriateness", kind=Code.Kind.LOGIC),
    }
    city = CityFactory(name="London", slug="london", country="GB")
    eurocities = NetworkFactory(name="Eurocities", slug="eurocities")
    resilient = NetworkFactory(name="100 Resilient Cities", acronym="100RC", slug="100rc")
    for network, salience in [(eurocities, 3), (resilient, 1)]:
        MembershipFactory(city=city, network=network)
        coding = CodingFactory(city=city, network=network, code=codes["knowledge"], salience=salience)
        EvidenceFactory(coding=coding, text=f"Knowledge from {network.name}.")
    CodingFactory(city=city, network=eurocities, code=codes["appropriateness"], salience=2, outcome="")
    EngagementObservationFactory(
        city=city, network=eurocities, observed_on=datetime.date(2010, 1, 1), level=3, is_peak=True, approximate=True
    )
    EngagementObservationFactory(city=city, network=eurocities, observed_on=datetime.date(2018, 1, 1), level=1)
    return city


def test_city_page_shows_memberships_codings_evidence_and_sources(client):
    network = NetworkFactory(name="Eurocities")
    source = SourceFactory(label="Interview 2, 2018")
    city = CityFactory(name="Oslo")
    MembershipFactory(city=city, network=network, source=SourceFactory(label="Member list 2025"))
    coding = CodingFactory(city=city, network=network, salience=3)
    EvidenceFactory(coding=coding, source=source, locator="p. 72", text="A channel to lobby the EU.")
    response = client.get(reverse("cities:city_detail", args=[city.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Oslo · Citynet</title>" in html
    assert "Eurocities" in html and "Member list 2025" in html
    assert "A channel to lobby the EU." in html and "Interview 2, 2018, p. 72" in html
    assert "Contains data from GeoNames" in html and "indicative" in html


def test_city_page_query_count_does_not_grow_with_codings(client, django_assert_num_queries):
    network = NetworkFactory()
    small = make_city_with_everything(network)
    big = make_city_with_everything(network)
    for _ in range(10):
        other = NetworkFactory()
        MembershipFactory(city=big, network=other)
        EvidenceFactory(coding=CodingFactory(city=big, network=other))
    # city, its memberships (with network and source), participations, engagement
    # observations, the codebook, codings (as rows), their evidence (with source);
    # then for "Cite this view": the newest release and the study's citation; for all its networks
    # (networks.overlap): their themes. The places most like it are a page of their own.
    with django_assert_num_queries(10):
        client.get(reverse("cities:city_detail", args=[small.slug]))
    with django_assert_num_queries(10):
        client.get(reverse("cities:city_detail", args=[big.slug]))
    # That page: the place, its spells, one grouped count and the chosen places' networks in
    # common, the newest release and the study's citation.
    with django_assert_num_queries(6):
        client.get(reverse("cities:city_similar", args=[small.slug]))
    with django_assert_num_queries(6):
        client.get(reverse("cities:city_similar", args=[big.slug]))


def test_city_portfolio_shows_where_networks_overlap_and_what_none_serves(client, london):
    response = client.get(reverse("cities:city_detail", args=[london.slug]))
    portfolio = response.context["portfolio"]
    assert [row["network"]["name"] for row in portfolio["rows"]] == ["100 Resilient Cities", "Eurocities"]
    assert [overlap["code"] for overlap in portfolio["overlaps"]] == ["knowledge"]
    assert [gap["code"] for gap in portfolio["gaps"]] == ["representation"]
    heatmap = response.context["portfolio_figure"]["data"][0]
    assert heatmap["z"] == [[None, 1, None], [None, 3, 2]]
    html = " ".join(response.content.decode().split())
    assert "Knowledge sharing (100 Resilient Cities, Eurocities)" in html


def test_city_portfolio_cells_open_evidence_listed_on_the_page(client, london):
    response = client.get(reverse("cities:city_detail", args=[london.slug]))
    html = response.content.decode()
    anchors = [anchor for row in response.context["portfolio_figure"]["data"][0]["customdata"] for anchor in row]
    assert "evidence-london--100rc--knowledge" in anchors
    assert 'id="evidence-london--100rc--knowledge"' in html and "Knowledge from 100 Resilient Cities." in html


def test_a_well_coded_place_shows_its_first_networks_evidence_and_links_to_the_others(client, london, monkeypatch):
    # London's 100RC coding (one) fits on the page; Eurocities' two codings do not.
    monkeypatch.setattr("cities.views.EVIDENCE_CODINGS_SHOWN", 2)
    response = client.get(reverse("cities:city_detail", args=[london.slug]))
    html = " ".join(response.content.decode().split())
    elsewhere = reverse("cities:city_evidence", args=[london.slug, "eurocities"])
    assert "Knowledge from 100 Resilient Cities." in html
    assert "Knowledge from Eurocities." not in html
    assert 'id="evidence-london--eurocities--knowledge"' not in html
    # The portfolio's cells lead to the evidence wherever it is: here, or on Eurocities' page.
    assert 'href="#evidence-london--100rc--knowledge"' in html
    assert f'href="{elsewhere}#evidence-london--eurocities--knowledge"' in html
    assert f'<a href="{elsewhere}">London in Eurocities</a> <small>2 codes, 2 codings</small>' in html

    page = client.get(elsewhere)
    text = " ".join(page.content.decode().split())
    assert page.status_code == 200
    assert "<title>London in Eurocities: evidence · Citynet</title>" in text
    assert 'id="evidence-london--eurocities--knowledge"' in text and "Knowledge from Eurocities." in text
    assert 'id="evidence-london--eurocities--appropriateness"' in text
    assert "Knowledge from 100 Resilient Cities." not in text


def test_a_place_whose_first_network_alone_is_too_long_shows_its_evidence_on_pages_of_their_own(
    client, london, monkeypatch
):
    monkeypatch.setattr("cities.views.EVIDENCE_CODINGS_SHOWN", 0)
    html = " ".join(client.get(reverse("cities:city_detail", args=[london.slug])).content.decode().split())
    assert "Knowledge from" not in html
    assert "Each network's evidence is on a page of its own" in html
    assert "London in 100 Resilient Cities" in html and "London in Eurocities" in html


def test_a_city_evidence_page_hides_restricted_text_from_the_public(client, django_user_model):
    network = NetworkFactory(slug="eurocities")
    city = CityFactory(slug="oslo")
    coding = CodingFactory(city=city, network=network)
    EvidenceFactory(coding=coding, text="Said off the record.", visibility=Evidence.Visibility.RESTRICTED)
    url = reverse("cities:city_evidence", args=["oslo", "eurocities"])
    public = client.get(url).content.decode()
    assert "Said off the record." not in public and "Restricted evidence" in public
    editor = django_user_model.objects.create_user("editor", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="view_restricted_evidence"))
    client.force_login(editor)
    assert "Said off the record." in client.get(url).content.decode()


def test_a_city_evidence_page_of_a_merged_place_leads_to_the_survivor_and_unknown_ones_are_404(client, london):
    from cities.models import PlaceRedirect

    PlaceRedirect.objects.create(old_slug="londres", city=london, old_id=999, old_name="Londres", old_country="GB")
    response = client.get(reverse("cities:city_evidence", args=["londres", "eurocities"]))
    assert response.status_code == 301
    assert response["Location"] == reverse("cities:city_evidence", args=["london", "eurocities"])
    assert client.get(reverse("cities:city_evidence", args=["nowhere", "eurocities"])).status_code == 404
    assert client.get(reverse("cities:city_evidence", args=["london", "no-network"])).status_code == 404
    uncoded = NetworkFactory(slug="c40", name="C40")
    assert "London's use of C40 has not been coded." in client.get(
        reverse("cities:city_evidence", args=["london", uncoded.slug])
    ).content.decode().replace("&#x27;", "'")


def test_a_city_evidence_page_runs_the_same_queries_for_one_coding_and_for_many(
    client, london, django_assert_num_queries
):
    eurocities = london.codings.first().network
    url = reverse("cities:city_evidence", args=[london.slug, eurocities.slug])
    # the city, the network, the codebook, the codings (as rows), their evidence; then for
    # "Cite this view" the newest release and the study's citation
    with django_assert_num_queries(7):
        client.get(url)
    for code in CodeFactory.create_batch(5):
        EvidenceFactory.create_batch(3, coding=CodingFactory(city=london, network=eurocities, code=code))
    with django_assert_num_queries(7):
        assert "Knowledge from Eurocities." in client.get(url).content.decode()


def test_city_portfolio_csv_has_a_row_per_network_and_code(client, london):
    url = reverse("cities:city_detail", args=[london.slug])
    rows = rows_of(client.get(url, {"format": "csv", "chart": "portfolio"}))
    assert len(rows) == 6
    knowledge = [row for row in rows if row["code"] == "knowledge"]
    assert [(row["network"], row["salience"], row["served_by_several"]) for row in knowledge] == [
        ("100 Resilient Cities", "1", "true"),
        ("Eurocities", "3", "true"),
    ]
    assert {row["served_by_none"] for row in rows if row["code"] == "representation"} == {"true"}


def test_city_engagement_chart_and_csv_mark_the_peak(client, london):
    url = reverse("cities:city_detail", args=[london.slug])
    line = client.get(url).context["engagement_figure"]["data"][0]
    assert line["y"] == [3, 1] and line["marker"]["symbol"] == ["star-open", "circle"]
    rows = rows_of(client.get(url, {"format": "csv", "chart": "engagement"}))
    assert [(row["date"], row["when"], row["level"], row["peak"]) for row in rows] == [
        ("2010-01-01", "about 2010", "3", "true"),
        ("2018-01-01", "2018", "1", "false"),
    ]


def test_city_page_lists_which_units_take_part_in_which_sub_network(client):
    network = NetworkFactory(name="Eurocities")
    city = CityFactory(name="Oslo")
    forum = SubNetworkFactory(network=network, name="Environment forum")
    ParticipationFactory(city=city, network=network, subnetwork=forum, unit="Climate agency")
    html = client.get(reverse("cities:city_detail", args=[city.slug])).content.decode()
    assert "Environment forum" in html and "Climate agency" in html


def test_city_page_links_to_itself_across_its_networks(client, london):
    html = client.get(reverse("cities:city_detail", args=[london.slug])).content.decode()
    assert f"{reverse('networks:compare')}?city=london" in html


@pytest.mark.parametrize("n_cities", [5, 300])
def test_city_list_runs_the_same_queries_with_5_and_300_cities(client, django_assert_num_queries, n_cities):
    CityFactory.create_batch(n_cities)
    # the filters' choices (countries in the register, themes), count for the paginator, one
    # page of cities with their membership counts; then for "Cite this view": the newest release
    with django_assert_num_queries(5):
        response = client.get(reverse("cities:city_list"))
    assert response.context["page"].paginator.count == n_cities


def test_city_list_search_finds_by_name(client):
    CityFactory(name="Oslo")
    CityFactory(name="Vejle", country="DK")
    response = client.get(reverse("cities:city_list"), {"q": "osl"})
    assert [city.name for city in response.context["page"].object_list] == ["Oslo"]


def test_unknown_city_is_404(client):
    assert client.get(reverse("cities:city_detail", args=["atlantis"])).status_code == 404


def test_city_page_says_what_is_missing(client):
    city = CityFactory(latitude=None, longitude=None, population=None)
    html = client.get(reverse("cities:city_detail", args=[city.slug])).content.decode()
    assert "No memberships recorded" in html
    assert "has not been coded yet" in html
    assert "No engagement observations recorded" in html
    assert "js/plotly.min.js" not in html


def test_city_list_filtered_by_network_lists_its_members_with_all_their_spells(client):
    eurocities, resilient = NetworkFactory(slug="eurocities", name="Eurocities"), NetworkFactory(slug="100rc")
    oslo, vejle = CityFactory(name="Oslo"), CityFactory(name="Vejle", country="DK")
    MembershipFactory(city=oslo, network=eurocities)
    MembershipFactory(city=oslo, network=resilient)
    MembershipFactory(city=vejle, network=resilient)
    response = client.get(reverse("cities:city_list"), {"network": "eurocities"})
    assert [(city.name, city.n_memberships) for city in response.context["page"].object_list] == [("Oslo", 2)]
    assert "Member places <small>of" in response.content.decode()
    assert client.get(reverse("cities:city_list"), {"network": "atlantis"}).status_code == 404


@pytest.mark.parametrize("n_cities", [5, 120])
def test_city_list_filtered_by_network_runs_six_queries_and_keeps_the_filter_on_other_pages(
    client, django_assert_num_queries, n_cities
):
    network = NetworkFactory(slug="n")
    for city in CityFactory.create_batch(n_cities):
        MembershipFactory(city=city, network=network)
    # the filters' choices (countries, themes), the network, the count for the paginator, one
    # page of its members with their spell counts; then for "Cite this view": the newest release
    with django_assert_num_queries(6):
        response = client.get(reverse("cities:city_list"), {"network": "n"})
    assert response.context["page"].paginator.count == n_cities
    if n_cities > 100:
        assert "?network=n&amp;page=2" in response.content.decode()


def test_city_page_explains_each_code_and_unfolds_each_evidence_item(client):
    network = NetworkFactory(name="Eurocities")
    knowledge = CodeFactory(code="knowledge", name="Knowledge sharing", definition="Exchange of experience.")
    CodeFactory(code="appropriateness", name="Appropriateness", kind=Code.Kind.LOGIC, definition="Expected to.")
    informant = SourceFactory(kind="interview", label="Informant 2, 2018", interview_number=2, year=2018)
    city = CityFactory(name="Oslo")
    MembershipFactory(city=city, network=network)
    coding = CodingFactory(city=city, network=network, code=knowledge)
    EvidenceFactory(coding=coding, source=informant, locator="p. 67", original_text="Erfaring", language="da")
    html = client.get(reverse("cities:city_detail", args=[city.slug])).content.decode()
    portfolio = html.split('id="portfolio"')[1].split("</section>")[0]
    assert 'href="/#code-knowledge" title="Exchange of experience.">Knowledge sharing</a>' in portfolio
    assert ">Network functions</th>" in portfolio and ">Logics of participation</th>" in portfolio
    assert 'href="/#codebook"' in portfolio
    evidence = html.split('id="evidence"')[1].split("</section>")[0]
    assert 'title="Exchange of experience.">Knowledge sharing</a>' in evidence
    assert "<cite>Interview 2, 2018, p. 67</cite>" in evidence and '<p class="original" lang="da">' in evidence
