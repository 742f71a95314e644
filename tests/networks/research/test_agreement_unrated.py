"""Agreement with codings not rated: present for presence, left out of salience (and counted),
never read as 0."""

import pytest

from networks.research.agreement import agreement_summary
from networks.research.agreement import classify_cell
from networks.research.agreement import disagreements
from networks.research.agreement import reliability_table


def row(coder, code, salience, city="oslo", outcome="met"):
    return {
        "id": None,
        "city": city,
        "city_name": city.title(),
        "network": "eurocities",
        "code": code,
        "coder": coder,
        "salience": salience,
        "outcome": outcome,
        "perspective": "city",
        "note": "",
        "coded_at": "2024-01-01T00:00:00+00:00",
        "evidence": [],
    }


# Three cases coded by A and B. Both rate knowledge in Oslo (3, 3) and Bergen (2, 1); in
# Tromsø A applies knowledge without a rating and B rates it 0.
CODINGS = [
    row("A", "knowledge", 3),
    row("B", "knowledge", 3),
    row("A", "knowledge", 2, city="bergen"),
    row("B", "knowledge", 1, city="bergen"),
    row("A", "knowledge", None, city="tromso"),
    row("B", "knowledge", 0, city="tromso"),
]


def test_presence_counts_an_unrated_coding_as_applied():
    table = reliability_table(CODINGS, value="presence")

    assert table["values"] == [[True, True], [True, True], [True, True]]


def test_salience_leaves_an_unrated_coding_out_rather_than_reading_it_as_zero():
    table = reliability_table(CODINGS, value="salience")

    tromso = table["units"].index({"city": "tromso", "network": "eurocities", "code": "knowledge"})
    assert table["values"][tromso] == [None, 0]


def test_summary_computes_salience_over_units_both_rated_and_says_how_many_were_left_out():
    summary = agreement_summary(CODINGS)

    overall = summary["overall"]
    (pair,) = overall["pairs"]
    assert overall["units"] == 3 and pair["presence_agreement"] == 1.0
    assert pair["salience_units"] == 2
    assert pair["salience_left_out"] == 1 and overall["salience_left_out"] == 1
    # Over Oslo (3, 3) and Bergen (2, 1) only: read as 0, Tromsø would have been a third agreement.
    assert pair["salience_agreement"] == pytest.approx(0.5)
    assert summary["codes"][0]["salience_left_out"] == 1


def test_a_rated_coding_stands_for_a_coder_over_their_unrated_one():
    codings = [row("A", "knowledge", None), row("A", "knowledge", 1) | {"perspective": "researcher"}]
    codings += [row("B", "knowledge", 1)]

    assert reliability_table(codings, value="salience")["values"] == [[1, 1]]


def test_a_cell_rated_by_one_coder_and_not_by_the_other_is_disputed_on_salience():
    cell = classify_cell([row("A", "knowledge", None), row("B", "knowledge", 0)])

    assert cell["status"] == "disputed"
    assert cell["salience_range"] == [0, 0]
    assert "A: coded, not rated" in cell["summary"] and "B: explicitly not important" in cell["summary"]
    (found,) = [item for item in disagreements(CODINGS) if item["city"] == "tromso"]
    assert found["kind"] == "salience"


def test_a_cell_neither_coder_rated_is_agreed_and_says_so():
    cell = classify_cell([row("A", "knowledge", None), row("B", "knowledge", None)])

    assert cell["status"] == "agreed"
    assert cell["salience_range"] is None
    assert cell["summary"] == "2 coders agree: coded, not rated, met"
