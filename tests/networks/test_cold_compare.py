"""The comparison page's table, whose cells are now drawn from text `matrix_grid` prepares
(issue 15: numbers were the slowest thing its template rendered): each kind of cell reads as before."""

import re

import pytest

from networks import aggregates
from networks.models import Code
from networks.models import Coding
from networks.selectors import agreed_matrix
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import NetworkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def codes():
    return {
        code: CodeFactory(code=code, name=code.title(), position=position)
        for position, code in enumerate(["knowledge", "policy", "capacity"], start=1)
    }


@pytest.fixture
def coded(codes):
    """Oslo coded by two coders (agreeing on one code, not on another), Bergen by one, with a
    coding not rated and one with no outcome."""
    network = NetworkFactory(slug="eurocities", name="Eurocities")
    oslo, bergen = CityFactory(slug="oslo", name="Oslo"), CityFactory(slug="bergen", name="Bergen")
    anna, ben = CoderFactory(name="Anna"), CoderFactory(name="Ben")
    knowledge, policy, capacity = (
        Code.objects.current().get(code=code) for code in ("knowledge", "policy", "capacity")
    )
    for coder in (anna, ben):
        coding = CodingFactory(city=oslo, network=network, code=knowledge, coder=coder, salience=3, outcome="met")
        EvidenceFactory(coding=coding)
    CodingFactory(city=oslo, network=network, code=policy, coder=anna, salience=2, outcome="mixed")
    CodingFactory(city=oslo, network=network, code=policy, coder=ben, salience=1, outcome="mixed")
    CodingFactory(city=bergen, network=network, code=capacity, coder=anna, salience=None, outcome="")
    return network


def cell_html(html: str, anchor: str) -> str:
    """The table cell linking to `anchor`'s evidence."""
    (cell,) = re.findall(rf'<td class="num"><a [^>]*href="#{anchor}".*?</td>', html)
    return cell


def test_the_table_shows_salience_outcome_agreement_and_evidence_count(client, coded):
    html = client.get("/compare/?network=eurocities").content.decode()

    agreed = cell_html(html, "evidence-oslo--eurocities--knowledge")
    assert 'class="salience s3"' in agreed and 'title="central; outcome met; 2 evidence"' in agreed
    assert ">3</a> <small>met</small>" in agreed
    assert '<span class="agreement-mark agreed" title="2 coders agree: central, met">=' in agreed
    assert "<br><small>2 evidence</small></td>" in agreed

    disputed = cell_html(html, "evidence-oslo--eurocities--policy")
    assert 'class="salience s2"' in disputed and ">2</a> <small>mixed</small>" in disputed
    assert (
        '<span class="agreement-mark disputed" title="2 coders disagree — Anna: important, mixed; Ben: minor, mixed">'
        in disputed
    )
    assert "<br><small>0 evidence</small>" in disputed


def test_the_table_says_a_cell_was_coded_but_not_rated_and_marks_nothing_for_one_coder(client, coded):
    html = client.get("/compare/?network=eurocities").content.decode()

    unrated = cell_html(html, "evidence-bergen--eurocities--capacity")
    assert 'class="salience unrated"' in unrated
    assert 'title="coded, not rated; outcome not applicable; 0 evidence"' in unrated
    assert '>○<span class="visually-hidden"> coded, not rated</span></a>' in unrated
    # One coder: no agreement mark; no outcome: none shown.
    assert "agreement-mark" not in unrated and "</a> <small>" not in unrated
    assert '<span class="not-coded" title="not coded">·</span>' in html


def test_the_grid_gives_each_coded_cell_its_text(coded):
    codes = list(Code.objects.current())
    grid = aggregates.matrix_grid(agreed_matrix(coded, codes=codes), codes)

    cells = {(row["city"]["slug"], cell["code"]): cell for row in grid["rows"] for cell in row["cells"]}
    unrated, agreed = cells[("bergen", "capacity")], cells[("oslo", "knowledge")]
    assert (unrated["salience_text"], unrated["salience_class"], unrated["agreement_status"]) == (
        "○",
        "unrated",
        "single",
    )
    assert (agreed["salience_text"], agreed["salience_class"], agreed["agreement_status"]) == ("3", "s3", "agreed")
    assert agreed["perspective_label"] == Coding.Perspective.CITY.label
    assert "salience_text" not in cells[("bergen", "knowledge")]


def test_a_page_shows_the_evidence_of_its_first_rows_whole_up_to_the_limit():
    from networks.aggregates import leading_within

    assert leading_within([], 50) == 0
    assert leading_within([20, 30, 1], 50) == 2  # exactly the limit: both shown, then none
    assert leading_within([60, 1], 50) == 0  # a first row too long alone: its own page
    assert leading_within([10, 45, 1], 50) == 1  # whole rows only, never one after a gap
