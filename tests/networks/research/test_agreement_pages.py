"""Agreement between coders on the site: marks in the comparison matrix (page, chart, API)
and the agreement page and endpoint."""

import csv

import pytest
from django.urls import reverse

from networks.models import Code
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import NetworkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def eurocities():
    """Oslo and Copenhagen in Eurocities, coded by the seed coder."""
    codes = {
        "representation": CodeFactory(code="representation", name="Representation", position=1),
        "knowledge": CodeFactory(code="knowledge", name="Knowledge sharing", position=2),
        "appropriateness": CodeFactory(
            code="appropriateness", name="Logic of appropriateness", kind=Code.Kind.LOGIC, position=3
        ),
    }
    network = NetworkFactory(name="Eurocities", slug="eurocities")
    oslo = CityFactory(name="Oslo", slug="oslo")
    copenhagen = CityFactory(name="Copenhagen", slug="copenhagen", country="DK")
    seed = CoderFactory(name="Seed")
    for city, code, salience, outcome in [
        (oslo, "representation", 3, "met"),
        (oslo, "knowledge", 3, "met"),
        (oslo, "appropriateness", 2, ""),
        (copenhagen, "knowledge", 3, "mixed"),
    ]:
        coding = CodingFactory(
            city=city, network=network, code=codes[code], salience=salience, outcome=outcome, coder=seed
        )
        EvidenceFactory(coding=coding, text=f"{city.name} on {code}.")
    return {"network": network, "oslo": oslo, "codes": codes}


@pytest.fixture
def second_coder(eurocities):
    """A second coder codes Oslo x Eurocities: agrees on representation, rates knowledge 2
    instead of 3, and leaves appropriateness out."""
    second = CoderFactory(name="Second")
    for code, salience, outcome in [("representation", 3, "met"), ("knowledge", 2, "met")]:
        coding = CodingFactory(
            city=eurocities["oslo"],
            network=eurocities["network"],
            code=eurocities["codes"][code],
            salience=salience,
            outcome=outcome,
            coder=second,
        )
        EvidenceFactory(coding=coding, text=f"Second reading of {code}.")
    return second


def marks(grid: dict) -> dict[tuple[str, str], str]:
    return {
        (row["city"]["slug"], cell["code"]): cell["cell"]["agreement"]["status"]
        for row in grid["rows"]
        for cell in row["cells"]
        if cell["cell"]
    }


def test_single_coded_cells_carry_no_mark(client, eurocities):
    response = client.get(reverse("networks:compare"), {"network": "eurocities"})

    assert set(marks(response.context["grid"]).values()) == {"single"}
    assert response.context["agreement_counts"] == {"single": 4, "agreed": 0, "disputed": 0}
    html = response.content.decode()
    assert "agreement-legend" not in html and "agreement-mark" not in html
    assert not [shape for shape in response.context["figure"]["layout"]["shapes"] if "name" in shape]


def test_matrix_marks_cells_after_a_second_coder_codes_oslo(client, eurocities, second_coder):
    response = client.get(reverse("networks:compare"), {"network": "eurocities"})

    assert marks(response.context["grid"]) == {
        ("oslo", "representation"): "agreed",  # both 3, met
        ("oslo", "knowledge"): "disputed",  # 3 against 2
        ("oslo", "appropriateness"): "disputed",  # the second coder left it out
        ("copenhagen", "knowledge"): "single",
    }
    assert response.context["agreement_counts"] == {"single": 1, "agreed": 1, "disputed": 2}
    html = response.content.decode()
    assert 'class="legend agreement-legend"' in html
    assert html.count('class="agreement-mark agreed"') == 1 and html.count('class="agreement-mark disputed"') == 2
    assert "2 coders disagree — Second: important, met; Seed: central, met" in html
    assert 'href="/agreement/?network=eurocities"' in html


def test_heatmap_outlines_agreed_and_disputed_cells_and_explains_them_on_hover(client, eurocities, second_coder):
    figure = client.get(reverse("networks:compare"), {"network": "eurocities"}).context["figure"]

    names = [shape["name"] for shape in figure["layout"]["shapes"] if "name" in shape]
    assert sorted(names) == ["agreement-agreed", "agreement-disputed", "agreement-disputed"]
    dashes = {shape["name"]: shape["line"]["dash"] for shape in figure["layout"]["shapes"] if "name" in shape}
    assert dashes == {"agreement-agreed": "solid", "agreement-disputed": "dash"}
    heatmap = figure["data"][0]
    oslo = heatmap["y"].index(1)  # rows in name order: Copenhagen, Oslo
    assert heatmap["text"][oslo][:2] == ["3✓ =", "3✓ ≠"]
    assert "2 coders agree:<br>· Second: central, met<br>· Seed: central, met" in heatmap["hovertext"][oslo][0]
    assert "· Second: important, met<br>· Seed: central, met" in heatmap["hovertext"][oslo][1]


def test_matrix_csv_says_how_each_cell_is_marked(client, eurocities, second_coder):
    response = client.get(reverse("networks:compare"), {"network": "eurocities", "format": "csv"})
    lines = [line for line in response.content.decode().splitlines() if not line.startswith("# ")]

    rows = {(row["city"], row["code"]): row["agreement"] for row in csv.DictReader(lines)}
    assert rows[("Oslo", "representation")] == "agreed" and rows[("Copenhagen", "knowledge")] == "single"


def test_api_matrix_gives_each_cell_its_agreement(client, eurocities, second_coder):
    body = client.get("/api/v1/matrix/", {"network": "eurocities"}).json()

    oslo = next(row for row in body["rows"] if row["city"]["slug"] == "oslo")
    assert oslo["cells"]["representation"]["agreement"]["status"] == "agreed"
    knowledge = oslo["cells"]["knowledge"]["agreement"]
    assert knowledge["status"] == "disputed" and knowledge["salience_range"] == [2, 3]


# --- /agreement/ and /api/v1/agreement/ ----------------------------------------------------


def test_agreement_page_shows_kappa_alpha_and_the_disagreements_side_by_side(client, eurocities, second_coder):
    response = client.get(reverse("networks:agreement"), {"network": "eurocities"})

    summary = response.context["summary"]
    assert summary["coders"] == ["Second", "Seed"] and summary["cases"] == 1
    # one case, three units: representation (both 3), knowledge (3 against 2), appropriateness (Seed only)
    assert summary["overall"]["units"] == 3
    assert summary["overall"]["presence_kappa"] == pytest.approx(0.0)
    assert summary["overall"]["salience_alpha"] is not None
    html = response.content.decode()
    assert "Cohen's κ" in html and "Krippendorff's α" in html
    assert "Knowledge sharing" in html and "different salience" in html
    assert "applied by some coders only" in html and "Did not apply this code." in html
    assert "Second reading of knowledge." in html and "Oslo on knowledge." in html


def test_agreement_page_without_double_coding_says_what_it_needs(client, eurocities):
    html = client.get(reverse("networks:agreement"), {"network": "eurocities"}).content.decode()

    assert "has been coded by two coders yet" in html


def test_agreement_page_of_an_unknown_network_is_404(client):
    assert client.get(reverse("networks:agreement"), {"network": "atlantis"}).status_code == 404


def test_agreement_csv_has_one_row_per_code(client, eurocities, second_coder):
    response = client.get(reverse("networks:agreement"), {"network": "eurocities", "format": "csv"})
    lines = [line for line in response.content.decode().splitlines() if not line.startswith("# ")]

    rows = {row["code"]: row for row in csv.DictReader(lines)}
    assert set(rows) == {"representation", "knowledge", "appropriateness"}
    assert rows["knowledge"]["disagreements"] == "1" and rows["representation"]["disagreements"] == "0"


def test_agreement_api_gives_the_figures_with_attribution_and_citation(client, eurocities, second_coder):
    body = client.get("/api/v1/agreement/", {"network": "eurocities"}).json()

    assert body["network"]["slug"] == "eurocities"
    assert body["coders"] == ["Second", "Seed"]
    assert {figures["code"] for figures in body["codes"]} == {"representation", "knowledge", "appropriateness"}
    assert {(item["code"], item["kind"]) for item in body["disagreements"]} == {
        ("knowledge", "salience"),
        ("appropriateness", "presence"),
    }
    assert body["attribution"][0].startswith("Contains data from GeoNames")
    assert body["citation"]["release"] == "unreleased working data"


def test_agreement_api_rejects_an_unknown_network(client):
    assert client.get("/api/v1/agreement/", {"network": "atlantis"}).status_code == 400


@pytest.mark.parametrize("n_cities", [2, 20])
def test_agreement_page_runs_seven_queries(client, django_assert_num_queries, n_cities):
    network = NetworkFactory(slug="n")
    code = CodeFactory()
    first, second = CoderFactory(), CoderFactory()
    for city in CityFactory.create_batch(n_cities):
        for coder in (first, second):
            EvidenceFactory(coding=CodingFactory(city=city, network=network, code=code, coder=coder))
    # the network, the codebook, codings with city, network, code and coder, their evidence with
    # source, the networks for the select; then for "Cite this view" the newest release and the
    # study's citation
    with django_assert_num_queries(7):
        response = client.get(reverse("networks:agreement"), {"network": "n"})
    assert response.context["summary"]["cases"] == n_cities


@pytest.mark.parametrize("n_cities", [2, 20])
def test_agreement_api_runs_six_queries(client, django_assert_num_queries, n_cities):
    network = NetworkFactory(slug="n")
    code = CodeFactory()
    for city in CityFactory.create_batch(n_cities):
        EvidenceFactory(coding=CodingFactory(city=city, network=network, code=code))
    # the network, codings with city, network, code and coder, their evidence with source, the
    # codebook, the studies cited, the newest release for `citation`
    with django_assert_num_queries(6):
        client.get("/api/v1/agreement/", {"network": "n"})
