"""The comparison pages: the city x code matrix, two cities side by side, the two logics."""

import csv

import pytest
from django.urls import reverse

from cities.models import City
from networks.models import Code
from networks.models import Evidence
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import NetworkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def codes():
    """A small codebook: two functions and a logic."""
    return {
        "representation": CodeFactory(code="representation", name="Representation", position=1),
        "knowledge": CodeFactory(code="knowledge", name="Knowledge sharing", position=4),
        "appropriateness": CodeFactory(
            code="appropriateness", name="Logic of appropriateness", kind=Code.Kind.LOGIC, position=2
        ),
    }


@pytest.fixture
def eurocities(codes):
    """Oslo and Copenhagen in Eurocities, coded as the study reads them, plus Vejle in 100RC."""
    network = NetworkFactory(name="Eurocities", slug="eurocities")
    oslo = CityFactory(name="Oslo", slug="oslo")
    copenhagen = CityFactory(name="Copenhagen", slug="copenhagen", country="DK")
    for city, code, salience, outcome, text in [
        (oslo, "representation", 3, "met", "Uses Eurocities as a channel to lobby the EU."),
        (oslo, "knowledge", 3, "met", "Exchange of experience and learning."),
        (copenhagen, "representation", 1, "unknown", "Lobbying toned down."),
        (copenhagen, "knowledge", 3, "mixed", "Got less knowledge sharing than hoped."),
    ]:
        coding = CodingFactory(city=city, network=network, code=codes[code], salience=salience, outcome=outcome)
        EvidenceFactory(coding=coding, text=text, kind=Evidence.Kind.QUOTE, locator="p. 67")
    appropriateness = CodingFactory(city=oslo, network=network, code=codes["appropriateness"], outcome="")
    EvidenceFactory(coding=appropriateness, text="A prestigious club with London, Paris, New York.")
    vejle = CityFactory(name="Vejle", slug="vejle", country="DK")
    resilient = NetworkFactory(name="100 Resilient Cities", acronym="100RC", slug="100rc")
    EvidenceFactory(
        coding=CodingFactory(city=vejle, network=resilient, code=codes["knowledge"], salience=3),
        text="Values knowledge sharing.",
    )
    return network


def many_coded_cities(network, codes, n):
    for city in CityFactory.create_batch(n):
        for code in codes.values():
            EvidenceFactory(coding=CodingFactory(city=city, network=network, code=code))


def rows_of(response):
    # Downloads open with "# " lines naming their sources and licences.
    lines = [line for line in response.content.decode().splitlines() if not line.startswith("# ")]
    return list(csv.DictReader(lines))


COMPARE = {"network": "eurocities", "city": ["oslo", "copenhagen"]}


def test_comparison_shows_the_chosen_cities_in_the_chosen_network(client, eurocities):
    response = client.get(reverse("networks:compare"), COMPARE)
    grid = response.context["grid"]
    assert [row["label"] for row in grid["rows"]] == ["Copenhagen", "Oslo"]
    assert [[cell["cell"]["salience"] if cell["cell"] else None for cell in row["cells"]] for row in grid["rows"]] == [
        [1, 3, None],
        [3, 3, 2],
    ]
    html = response.content.decode()
    assert "<title>Compare Eurocities: Copenhagen, Oslo · Citynet</title>" in html
    assert "<h1>Cities in Eurocities" in html


def test_comparison_tells_where_the_cities_differ_most(client, eurocities):
    contrasts = client.get(reverse("networks:compare"), COMPARE).context["contrasts"]
    # Oslo's logic of appropriateness is coded and Copenhagen's is not: a difference too.
    assert [(contrast["code"], contrast["spread"]) for contrast in contrasts] == [
        ("representation", 2),
        ("appropriateness", 2),
    ]


def test_comparison_counts_a_function_only_one_city_has_as_a_difference(client, eurocities, codes):
    promotion = CodeFactory(code="promotion", name="Promotion", position=5)
    copenhagen = City.objects.get(slug="copenhagen")
    CodingFactory(city=copenhagen, network=eurocities, code=promotion, salience=3)
    response = client.get(reverse("networks:compare"), COMPARE)
    contrasts = {contrast["code"]: contrast for contrast in response.context["contrasts"]}
    assert contrasts["promotion"]["values"] == [
        {"label": "Copenhagen", "coded": True, "salience": 3},
        {"label": "Oslo", "coded": False, "salience": None},
    ]
    section = response.content.decode().split('id="contrasts"')[1].split("</section>")[0]
    assert "Promotion</a>: Copenhagen" in section and 'Oslo <span class="not-coded">not coded</span>' in section


def test_comparison_explains_each_column_and_labels_functions_and_logics(client, eurocities, codes):
    codes["representation"].definition = "The network speaks for its members."
    codes["representation"].save()
    response = client.get(reverse("networks:compare"), COMPARE)
    html = response.content.decode()
    table = html.split('<table class="matrix">')[1].split("</table>")[0]
    assert '<th scope="colgroup" colspan="2" class="code-group code-col-function">Network functions</th>' in table
    assert '<th scope="colgroup" colspan="1" class="code-group code-col-logic">Logics of participation</th>' in table
    assert 'href="/#code-representation" title="The network speaks for its members.">Representation</a>' in table
    legend = html.split('class="codebook-legend"')[1].split("</details>")[0]
    assert 'href="/#codebook"' in legend and "The network speaks for its members." in legend
    figure = response.context["figure"]
    assert "The network speaks for its members." in str(figure["data"][0]["hovertext"])
    assert any(note.get("name") == "functions-and-logics" for note in figure["layout"]["annotations"])


def test_comparison_heatmap_cells_point_at_evidence_listed_on_the_page(client, eurocities):
    response = client.get(reverse("networks:compare"), COMPARE)
    html = response.content.decode()
    heatmap = response.context["figure"]["data"][0]
    anchors = [anchor for row in heatmap["customdata"] for anchor in row if anchor]
    assert "evidence-oslo--eurocities--representation" in anchors
    for anchor in anchors:
        assert f'id="{anchor}"' in html
    assert "Uses Eurocities as a channel to lobby the EU." in html and "p. 67" in html
    assert 'data-click="evidence"' in html and 'id="evidence-panel"' in html


def test_comparison_narrow_heatmap_has_the_codes_down_the_side(client, eurocities):
    response = client.get(reverse("networks:compare"), COMPARE)
    figure = response.context["narrow_figure"]
    assert figure["layout"]["xaxis"]["ticktext"] == ["Copenhagen", "Oslo"]
    # Its cells are the wide figure's, turned by the page's script: the page carries them once.
    assert figure["transpose"] and "data" not in figure


def test_comparison_csv_has_the_rows_of_the_page_with_the_same_parameters(client, eurocities):
    page = client.get(reverse("networks:compare"), COMPARE)
    assert page.context["csv_urls"]["matrix"] == (
        "/compare/?network=eurocities&city=oslo&city=copenhagen&format=csv&chart=matrix"
    )
    response = client.get(page.context["csv_urls"]["matrix"])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = rows_of(response)
    assert [(row["city"], row["code"], row["salience"], row["outcome"]) for row in rows] == [
        ("Copenhagen", "representation", "1", "unknown"),
        ("Copenhagen", "knowledge", "3", "mixed"),
        ("Oslo", "representation", "3", "met"),
        ("Oslo", "knowledge", "3", "met"),
        ("Oslo", "appropriateness", "2", ""),
    ]
    assert rows[0]["evidence"].startswith("Lobbying toned down. (Document")


def test_comparison_form_keeps_its_state_in_the_url(client, eurocities):
    html = client.get(reverse("networks:compare"), {"network": "eurocities", "city": "oslo"}).content.decode()
    assert '<option value="eurocities" selected>' in html
    assert 'value="oslo" checked' in html and 'value="copenhagen">' in html
    assert 'method="get"' in html


def test_comparison_without_cities_shows_every_coded_city_of_the_network(client, eurocities):
    grid = client.get(reverse("networks:compare"), {"network": "eurocities"}).context["grid"]
    assert [row["label"] for row in grid["rows"]] == ["Copenhagen", "Oslo"]


def test_comparison_of_one_city_across_its_networks(client, eurocities):
    response = client.get(reverse("networks:compare"), {"city": "vejle"})
    assert [row["label"] for row in response.context["grid"]["rows"]] == ["Vejle"]
    assert "Vejle across its networks" in response.content.decode()


def test_comparison_of_all_networks_names_each_row_with_its_network(client, eurocities):
    grid = client.get(reverse("networks:compare")).context["grid"]
    assert [row["label"] for row in grid["rows"]] == ["Copenhagen · Eurocities", "Oslo · Eurocities", "Vejle · 100RC"]


def test_comparison_says_which_chosen_cities_are_not_coded(client, eurocities):
    response = client.get(reverse("networks:compare"), {"network": "eurocities", "city": ["oslo", "vejle"]})
    assert response.context["not_coded"] == ["vejle"]
    assert "Not coded in Eurocities, so not shown: vejle." in response.content.decode()


def test_comparison_says_what_is_missing_when_nothing_is_coded(client):
    NetworkFactory(slug="empty")
    html = client.get(reverse("networks:compare"), {"network": "empty"}).content.decode()
    assert "No coding to show" in html and "manage.py load_citynet" in html


def test_comparison_of_an_unknown_network_is_404(client):
    assert client.get(reverse("networks:compare"), {"network": "atlantis"}).status_code == 404


@pytest.mark.parametrize("n_cities", [2, 40])
def test_comparison_runs_the_same_queries_with_2_and_40_cities(client, django_assert_num_queries, codes, n_cities):
    network = NetworkFactory(slug="n")
    many_coded_cities(network, codes, n_cities)
    # the network, the coded cities (count and this page's, also the checkboxes), their
    # codings with city, network, code and coder, their evidence with source, the codebook,
    # the networks for the select; then for "Cite this view": the newest release and the
    # study's citation
    with django_assert_num_queries(9):
        response = client.get(reverse("networks:compare"), {"network": "n"})
    assert len(response.context["grid"]["rows"]) == n_cities


@pytest.mark.parametrize("n_cities", [2, 40])
def test_comparison_csv_runs_six_queries(client, django_assert_num_queries, codes, n_cities):
    network = NetworkFactory(slug="n")
    many_coded_cities(network, codes, n_cities)
    # the network, the codebook, codings with city, network, code and coder, their evidence,
    # the studies cited in the download's header, the newest release for its "# Cite as" lines
    with django_assert_num_queries(6):
        response = client.get(reverse("networks:compare"), {"network": "n", "format": "csv"})
    assert len(rows_of(response)) == 3 * n_cities


def test_two_cities_side_by_side_show_each_citys_evidence_code_by_code(client, eurocities):
    response = client.get(reverse("networks:compare_cities"), {"a": "oslo", "b": "copenhagen"})
    pair = {row["code"]: row for row in response.context["pair"]}
    oslo, copenhagen = pair["representation"]["sides"]
    assert oslo[0]["cell"]["salience"] == 3 and copenhagen[0]["cell"]["salience"] == 1
    assert pair["appropriateness"]["sides"][1] == []
    html = response.content.decode()
    assert "<title>Oslo and Copenhagen side by side · Citynet</title>" in html
    assert "Lobbying toned down." in html and "not coded" in html
    figure = response.context["figure"]
    assert [trace["name"] for trace in figure["data"]] == ["Oslo · Eurocities", "Copenhagen · Eurocities"]


def test_two_cities_csv_has_both_cities_rows(client, eurocities):
    rows = rows_of(client.get(reverse("networks:compare_cities"), {"a": "oslo", "b": "vejle", "format": "csv"}))
    assert {row["city"] for row in rows} == {"Oslo", "Vejle"}


@pytest.mark.parametrize("query, message", [({}, "Choose two cities"), ({"a": "oslo", "b": "oslo"}, "two different")])
def test_two_cities_page_asks_for_two_different_cities(client, eurocities, query, message):
    assert message in client.get(reverse("networks:compare_cities"), query).content.decode()


def test_two_cities_page_without_cities_fetches_no_codings(client, django_assert_num_queries, eurocities):
    # the codebook, the coded cities for the selects;
    # then for "Cite this view": the newest release and the study's citation
    with django_assert_num_queries(4):
        client.get(reverse("networks:compare_cities"))


@pytest.mark.parametrize("n_cities", [2, 40])
def test_two_cities_page_runs_six_queries(client, django_assert_num_queries, codes, n_cities):
    network = NetworkFactory()
    many_coded_cities(network, codes, n_cities)
    a, b = network.codings.order_by("city__name").values_list("city__slug", flat=True).distinct()[:2]
    # the codebook, codings of the two cities, their evidence, the coded cities for the selects;
    # then for "Cite this view": the newest release and the study's citation
    with django_assert_num_queries(6):
        client.get(reverse("networks:compare_cities"), {"a": a, "b": b})


def test_logics_page_places_each_city_by_its_two_logics(client, eurocities):
    response = client.get(reverse("networks:logics"), {"network": "eurocities"})
    rows = {row["city"]["slug"]: row for row in response.context["rows"]}
    assert (rows["oslo"]["strategic"], rows["oslo"]["legitimacy"]) == (6, 2)
    assert (rows["copenhagen"]["strategic"], rows["copenhagen"]["legitimacy"]) == (4, 0)
    html = response.content.decode()
    assert 'id="logics-oslo--eurocities"' in html and "A prestigious club with London" in html
    # A point opens the quotes behind its logics in the panel beside the chart; the page carries
    # them once, in the table.
    assert 'data-click="evidence"' in html and 'id="evidence-panel"' in html
    evidence = html.split('id="evidence-logics-oslo--eurocities"')[1].split("</article>")[0]
    assert "A prestigious club with London" in evidence and 'aria-label="Oslo · Eurocities' in evidence
    assert html.count("A prestigious club with London") == 1


def test_logics_csv_has_the_weights_of_the_chart(client, eurocities):
    rows = rows_of(client.get(reverse("networks:logics"), {"network": "eurocities", "format": "csv"}))
    assert [(row["city"], row["network"], row["strategic"], row["legitimacy"]) for row in rows] == [
        ("Copenhagen", "Eurocities", "4", "0"),
        ("Oslo", "Eurocities", "6", "2"),
    ]


def test_logics_page_says_what_is_missing_when_nothing_is_coded(client):
    assert "has been coded yet" in client.get(reverse("networks:logics")).content.decode()


@pytest.mark.parametrize("n_cities", [2, 40])
def test_logics_page_runs_six_queries(client, django_assert_num_queries, codes, n_cities):
    many_coded_cities(NetworkFactory(), codes, n_cities)
    # the codebook, codings with city, network, code and coder, their evidence, the networks for the select;
    # then for "Cite this view": the newest release and the study's citation
    with django_assert_num_queries(6):
        response = client.get(reverse("networks:logics"))
    assert len(response.context["rows"]) == n_cities


def test_comparison_of_a_large_network_shows_its_cities_a_page_at_a_time(client, codes):
    network = NetworkFactory(slug="n")
    many_coded_cities(network, codes, 51)
    first = client.get(reverse("networks:compare"), {"network": "n"})
    assert len(first.context["grid"]["rows"]) == 50 and len(first.context["options"]) == 50
    assert "network=n&amp;page=2" in first.content.decode()
    second = client.get(reverse("networks:compare"), {"network": "n", "page": 2})
    assert len(second.context["grid"]["rows"]) == 1
    # The CSV has every city.
    assert len(rows_of(client.get(reverse("networks:compare"), {"network": "n", "format": "csv"}))) == 3 * 51


def test_a_long_comparison_shows_its_first_rows_evidence_and_links_the_others_to_their_city_pages(client, monkeypatch):
    network = NetworkFactory(slug="eurocities", name="Eurocities")
    code = CodeFactory(code="knowledge", name="Knowledge sharing")
    for name in ("Aarhus", "Bergen", "Cork"):
        city = CityFactory(name=name, slug=name.lower())
        EvidenceFactory(coding=CodingFactory(city=city, network=network, code=code), text=f"Said in {name}.")
    monkeypatch.setattr("networks.pages.EVIDENCE_CODINGS_SHOWN", 2)
    html = " ".join(client.get(reverse("networks:compare"), {"network": "eurocities"}).content.decode().split())
    assert "Said in Aarhus." in html and "Said in Bergen." in html and "Said in Cork." not in html
    assert "The evidence for the first 2 of these 3 rows is below" in html
    page = reverse("cities:city_evidence", args=["cork", "eurocities"])
    assert f'href="{page}#evidence-cork--eurocities--knowledge"' in html
    assert 'href="#evidence-aarhus--eurocities--knowledge"' in html
    assert "Said in Cork." in client.get(page).content.decode()
