"""A coding with no salience ("coded, not rated"): stored as null, never read as 0, and told
apart from 0 and from a cell nobody coded wherever salience is shown, averaged or downloaded."""

import csv
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction
from django.urls import reverse

from networks import aggregates
from networks import charts
from networks.charts.heatmaps import UNRATED_Z
from networks.models import Code
from networks.models import Coding
from networks.salience import rated_mean
from tests.admin_forms import inline_data
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory
from tests.networks.figures import plotted

KNOWLEDGE = {"code": "knowledge", "name": "Knowledge sharing", "kind": "function"}
REPRESENTATION = {"code": "representation", "name": "Representation", "kind": "function"}


def coding_row(city, salience, code="knowledge", coder="Seed", coded_at="2024-01-01", perspective="city"):
    return {
        "id": hash((city, code, coder, perspective)) % 10_000,
        "city_id": hash(city) % 1000,
        "city_slug": city,
        "city_name": city.title(),
        "country": "NO",
        "network_id": 1,
        "network_slug": "eurocities",
        "network_name": "Eurocities",
        "acronym": "",
        "code": code,
        "salience": salience,
        "outcome": "",
        "perspective": perspective,
        "coded_at": coded_at,
        "coder": coder,
        "evidence": [],
    }


def grid_of(*rows):
    codes = [Code(code="knowledge", name="Knowledge sharing", kind="function", position=1)]
    codes.append(Code(code="representation", name="Representation", kind="function", position=2))
    return aggregates.matrix_grid(aggregates.comparison_matrix_from_rows(rows, codes))


# --- the model ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_coding_may_be_stored_without_a_salience():
    coding = CodingFactory(salience=None)

    coding.full_clean()
    coding.refresh_from_db()
    assert coding.salience is None
    assert coding.salience_label == "coded, not rated"
    assert str(coding).endswith(": not rated")
    assert coding.history.get().salience is None


@pytest.mark.django_db
def test_the_database_still_refuses_a_salience_above_three():
    with pytest.raises(ValidationError, match="or is empty"):
        CodingFactory.build(salience=4, code=CodeFactory(), coder=CoderFactory()).validate_constraints()
    with pytest.raises(IntegrityError), transaction.atomic():
        CodingFactory(salience=4)


# --- the matrix and what is drawn from it ------------------------------------------


def test_a_cell_of_unrated_codings_is_coded_but_has_no_salience():
    cell = aggregates.summarise_rows([coding_row("oslo", None)])

    assert cell["salience"] is None
    assert cell["unrated"] == 1
    assert cell["evidence_count"] == 0  # a cell all the same: only an uncoded one is None


def test_a_rated_coding_leads_a_cell_over_a_later_unrated_one_even_at_zero():
    rows = [coding_row("oslo", 0, coder="A"), coding_row("oslo", None, coder="B", coded_at="2025-01-01")]

    cell = aggregates.summarise_rows(rows)

    assert cell["salience"] == 0
    assert cell["unrated"] == 1


def test_the_matrix_says_coded_not_rated_apart_from_zero_and_from_not_coded():
    grid = grid_of(coding_row("oslo", None), coding_row("bergen", 0), coding_row("bergen", 2, code="representation"))

    oslo = next(row for row in grid["rows"] if row["city"]["slug"] == "oslo")
    bergen = next(row for row in grid["rows"] if row["city"]["slug"] == "bergen")
    assert oslo["cells"][0]["cell"]["salience"] is None and oslo["cells"][0]["salience_label"] == "coded, not rated"
    assert oslo["cells"][1]["cell"] is None and oslo["cells"][1]["salience_label"] == ""
    assert bergen["cells"][0]["salience_label"] == "explicitly not important"


def test_heatmap_draws_an_unrated_cell_apart_from_zero_and_from_an_empty_cell():
    grid = grid_of(coding_row("oslo", None), coding_row("bergen", 0))

    figure = plotted(charts.comparison_figure(grid))

    heatmap = figure.data[0]
    bergen, oslo = list(heatmap.z[0]), list(heatmap.z[1])
    assert oslo == [UNRATED_Z, None] and bergen == [0, None]
    assert heatmap.text[1][0] == "○" and heatmap.text[0][0] == "0"
    assert "Coded, not rated" in heatmap.hovertext[1][0] and "not coded" in heatmap.hovertext[1][1]
    unrated = [shape for shape in figure.layout.shapes if shape.name == "unrated"]
    assert len(unrated) == 1 and unrated[0].line.dash == "solid"


def test_contrasts_spread_over_rated_values_and_name_the_unrated():
    grid = grid_of(coding_row("oslo", None), coding_row("bergen", 3), coding_row("tromso", 1))

    (contrast,) = aggregates.matrix_contrasts(grid)

    assert contrast["spread"] == 2
    assert contrast["unrated"] == 1 and not contrast["not_coded_for_some"]
    assert contrast["values"][-1] == {"label": "Oslo", "coded": True, "salience": None}


def test_logic_weights_add_nothing_for_an_unrated_function_and_count_it():
    grid = grid_of(coding_row("oslo", None), coding_row("oslo", 2, code="representation"))

    (weights,) = aggregates.logic_weights(grid)

    assert weights["functions"] == 2 and weights["strategic"] == 2
    assert weights["unrated"] == 1


def test_rated_mean_leaves_the_unrated_out_and_counts_them():
    assert rated_mean([3, None, 1]) == (2.0, 1)
    assert rated_mean([None, None]) == (None, 2)


def test_offer_and_use_mean_is_over_rated_members_only_and_says_how_many_were_left_out():
    codes = [Code(code="knowledge", name="Knowledge sharing", kind="function", position=1)]
    members = [
        {"slug": "oslo", "name": "Oslo", "code": "knowledge", "salience": 3},
        {"slug": "bergen", "name": "Bergen", "code": "knowledge", "salience": None},
        {"slug": "tromso", "name": "Tromsø", "code": "representation", "salience": 2},
    ]

    offers = aggregates.offer_and_use({"knowledge": None}, members, codes)

    (function,) = offers["functions"]
    # Oslo 3 and Tromsø (coded, not naming it) 0 over two members; Bergen left out, not a 0.
    assert function["members_mean"] == 1.5
    assert function["members_unrated"] == 1
    assert function["network_salience"] is None and function["network_unrated"]
    figure = plotted(charts.offer_and_use_figure(offers))
    assert figure.data[0].text[0] == "not rated"
    assert figure.data[1].text[0] == "1.5 (1 not rated)"


def test_offer_and_use_mean_of_only_unrated_members_is_no_mean():
    codes = [Code(code="knowledge", name="Knowledge sharing", kind="function", position=1)]
    members = [{"slug": "oslo", "name": "Oslo", "code": "knowledge", "salience": None}]

    (function,) = aggregates.offer_and_use({}, members, codes)["functions"]

    assert function["members_mean"] is None and function["members_unrated"] == 1
    assert not function["network_unrated"]


def test_a_portfolio_counts_an_unrated_function_as_served_and_not_as_a_gap():
    network = NetworkFactory.build(pk=1, slug="eurocities", name="Eurocities")
    code = Code(code="knowledge", name="Knowledge sharing", kind="function", position=1)
    membership = type("Spell", (), {"network_id": 1, "network": network, "period": "2000–"})()

    portfolio = aggregates.city_portfolio([membership], [(1, "knowledge", None)], [code])

    assert portfolio["networks"][0]["functions"] == {"knowledge": None}
    assert portfolio["gaps"] == []
    grid = aggregates.portfolio_grid(portfolio, "oslo")
    assert grid["rows"][0]["cells"][0]["coded"] is True
    assert plotted(charts.portfolio_figure(grid)).data[0].z[0][0] == UNRATED_Z


# --- pages and downloads -------------------------------------------------------------


@pytest.fixture
def oslo_unrated(db):
    """Oslo in Eurocities, coded for knowledge sharing without a salience, beside Bergen at 0."""
    network = NetworkFactory(name="Eurocities", slug="eurocities")
    code = CodeFactory(code="knowledge", name="Knowledge sharing", position=1)
    oslo = CityFactory(name="Oslo", slug="oslo")
    bergen = CityFactory(name="Bergen", slug="bergen")
    EvidenceFactory(coding=CodingFactory(city=oslo, network=network, code=code, salience=None, outcome=""))
    EvidenceFactory(coding=CodingFactory(city=bergen, network=network, code=code, salience=0, outcome=""))
    return network


def test_comparison_table_marks_the_unrated_cell_as_coded_not_rated(client, oslo_unrated):
    html = client.get(reverse("networks:compare"), {"network": "eurocities"}).content.decode()

    assert '<a class="salience unrated"' in html
    assert "coded, not rated" in html
    table = html.split('<table class="matrix">')[1].split("</table>")[0]
    assert "None" not in table and "sNone" not in table


def test_comparison_csv_leaves_the_salience_of_an_unrated_cell_empty(client, oslo_unrated):
    response = client.get(reverse("networks:compare"), {"network": "eurocities", "format": "csv", "chart": "matrix"})

    lines = [line for line in response.content.decode().splitlines() if not line.startswith("# ")]
    rows = {row["city"]: row for row in csv.DictReader(lines)}
    assert rows["Oslo"]["salience"] == ""
    assert rows["Bergen"]["salience"] == "0"


def test_quote_table_download_leaves_the_salience_of_an_unrated_coding_empty(client, oslo_unrated):
    response = client.get(reverse("networks:quotes"), {"network": "eurocities", "format": "xlsx"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(row for row in rows if row and "salience" in row)
    column = header.index("salience")
    values = {row[header.index("city")]: row[column] for row in rows[rows.index(header) + 1 :]}
    assert values["Oslo"] is None
    assert values["Bergen"] == 0


# --- the admin --------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_saves_a_coding_with_the_salience_left_empty(staff_client):
    network, code, coder, source = NetworkFactory(), CodeFactory(), CoderFactory(), SourceFactory()
    data = {
        "city": "",
        "network": network.pk,
        "code": code.pk,
        "perspective": "network",
        "salience": "",
        "outcome": "",
        "note": "",
        "coder": coder.pk,
        "coded_at_0": "2018-07-03",
        "coded_at_1": "12:00:00",
        **inline_data(
            "evidence",
            [
                {
                    "source": source.pk,
                    "locator": "",
                    "kind": "paraphrase",
                    "language": "",
                    "position": 0,
                    "text": "Offers knowledge sharing.",
                    "original_text": "",
                    "visibility": "public",
                    "public_paraphrase": "",
                }
            ],
        ),
    }

    response = staff_client.post(reverse("admin:networks_coding_add"), data)

    assert response.status_code == 302
    assert Coding.objects.get().salience is None
    changelist = staff_client.get(reverse("admin:networks_coding_changelist")).content.decode()
    assert "not rated · —" in changelist


@pytest.mark.django_db
def test_admin_coding_form_offers_not_rated_first_so_nothing_is_preset(staff_client):
    html = staff_client.get(reverse("admin:networks_coding_add")).content.decode()

    select = html.split('name="salience"')[1].split("</select>")[0]
    assert select.index("not rated") < select.index("3 – central")
