import random

import pytest

from networks.models import Coding
from networks.research.agreement import agreement_summary
from networks.research.agreement import classify_cell
from networks.research.agreement import coding_rows
from networks.research.agreement import cohen_kappa
from networks.research.agreement import disagreements
from networks.research.agreement import krippendorff_alpha
from networks.research.agreement import matrix_with_agreement
from networks.research.agreement import percent_agreement
from networks.research.agreement import reliability_table
from tests.factories import CityFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import NetworkFactory

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
# observers, twelve units, missing values. Rows are observers A-D, columns units 1-12.
KRIPPENDORFF_2011_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def pairs_from_counts(counts: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    return [pair for pair, n in counts.items() for _ in range(n)]


def row(coder, code, salience, city="oslo", network="eurocities", outcome="met", **extra):
    return {
        "id": extra.pop("id", None),
        "city": city,
        "city_name": city.title() if city else "",
        "network": network,
        "code": code,
        "coder": coder,
        "salience": salience,
        "outcome": outcome,
        "perspective": extra.pop("perspective", "city"),
        "note": "",
        "coded_at": extra.pop("coded_at", "2024-01-01T00:00:00+00:00"),
        "evidence": extra.pop("evidence", []),
    }


# A hand-worked two-coder example: three cases coded by both, one by A alone.
#   oslo:       A knowledge 3, representation 3     B knowledge 3, representation 2
#   copenhagen: A knowledge 3, representation 1     B knowledge 2, representation 1
#   vejle:      A knowledge 2                       B knowledge 2, representation 1
#   chennai:    A knowledge 3                       (B did not code it)
# with the codebook knowledge, representation, promotion (promotion applied by nobody).
TWO_CODERS = [
    row("A", "knowledge", 3),
    row("A", "representation", 3),
    row("B", "knowledge", 3),
    row("B", "representation", 2),
    row("A", "knowledge", 3, city="copenhagen"),
    row("A", "representation", 1, city="copenhagen"),
    row("B", "knowledge", 2, city="copenhagen"),
    row("B", "representation", 1, city="copenhagen"),
    row("A", "knowledge", 2, city="vejle", network="100rc"),
    row("B", "knowledge", 2, city="vejle", network="100rc"),
    row("B", "representation", 1, city="vejle", network="100rc"),
    row("A", "knowledge", 3, city="chennai", network="100rc"),
]
CODEBOOK = ["knowledge", "representation", "promotion"]


# --- Krippendorff's alpha against the worked examples of Krippendorff (2011) ---------


def test_alpha_nominal_matches_krippendorff_2011_four_observers_with_missing_values():
    assert krippendorff_alpha(KRIPPENDORFF_2011_C, level="nominal") == pytest.approx(0.743, abs=5e-4)


def test_alpha_ordinal_matches_krippendorff_2011_example():
    assert krippendorff_alpha(KRIPPENDORFF_2011_C, level="ordinal") == pytest.approx(0.815, abs=5e-4)


def test_alpha_interval_matches_krippendorff_2011_example():
    assert krippendorff_alpha(KRIPPENDORFF_2011_C, level="interval") == pytest.approx(0.849, abs=5e-4)


def test_alpha_ratio_matches_krippendorff_2011_example():
    assert krippendorff_alpha(KRIPPENDORFF_2011_C, level="ratio") == pytest.approx(0.797, abs=5e-4)


def test_alpha_matches_krippendorff_2011_two_observers_binary_example():
    data = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]

    assert krippendorff_alpha(data, level="nominal") == pytest.approx(0.095, abs=5e-4)


def test_alpha_matches_krippendorff_2011_two_observers_nominal_example():
    data = ["a a b b d c c c e d d a".split(), "b a b b b c c c e d d d".split()]

    assert krippendorff_alpha(data, level="nominal") == pytest.approx(0.692, abs=5e-4)


def test_alpha_is_one_for_perfect_agreement_and_ignores_units_with_one_value():
    data = [[1, 2, 3, None], [1, 2, 3, 3]]

    assert krippendorff_alpha(data, level="ordinal") == 1.0


def test_alpha_is_undefined_without_variation_or_without_pairable_values():
    assert krippendorff_alpha([[2, 2, 2], [2, 2, 2]]) is None
    assert krippendorff_alpha([[1, None], [None, 2]]) is None
    assert krippendorff_alpha([]) is None


def test_alpha_rejects_an_unknown_level_of_measurement():
    with pytest.raises(ValueError, match="Unknown level"):
        krippendorff_alpha([[1, 2], [1, 2]], level="cardinal")


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_agrees_with_the_krippendorff_package_on_random_salience_data(level):
    krippendorff = pytest.importorskip("krippendorff")
    numpy = pytest.importorskip("numpy")
    generator = random.Random(8)
    for _ in range(20):
        coders, units = generator.randint(2, 5), generator.randint(3, 25)
        data = [[generator.choice([None, 0, 1, 2, 3, 3]) for _ in range(units)] for _ in range(coders)]
        ours = krippendorff_alpha(data, level=level)
        if ours is None:
            continue
        theirs = krippendorff.alpha(
            reliability_data=numpy.array([[numpy.nan if v is None else v for v in r] for r in data], dtype=float),
            level_of_measurement=level,
        )
        assert ours == pytest.approx(theirs, abs=1e-9)


# --- Cohen's kappa against textbook examples -------------------------------------------


def test_kappa_matches_the_wikipedia_worked_example_of_fifty_proposals():
    # 50 grant proposals: both yes 20, A yes B no 5, A no B yes 10, both no 15.
    pairs = pairs_from_counts({("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15})

    assert percent_agreement(pairs) == pytest.approx(0.7)
    assert cohen_kappa(pairs) == pytest.approx(0.4)


def test_kappa_differs_for_the_same_percent_agreement_with_different_marginals():
    # Wikipedia's pair of tables with 60% agreement each: kappa 0.1304 and 0.2593.
    balanced = pairs_from_counts({("yes", "yes"): 45, ("yes", "no"): 15, ("no", "yes"): 25, ("no", "no"): 15})
    skewed = pairs_from_counts({("yes", "yes"): 25, ("yes", "no"): 35, ("no", "yes"): 5, ("no", "no"): 35})

    assert percent_agreement(balanced) == percent_agreement(skewed) == pytest.approx(0.6)
    assert cohen_kappa(balanced) == pytest.approx(0.1304, abs=5e-5)
    assert cohen_kappa(skewed) == pytest.approx(0.2593, abs=5e-5)


def test_kappa_is_undefined_when_both_coders_use_one_category_throughout():
    assert cohen_kappa([("yes", "yes")] * 5) is None
    assert cohen_kappa([]) is None


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_kappa_agrees_with_scikit_learn_on_random_salience_pairs(weights):
    metrics = pytest.importorskip("sklearn.metrics")
    generator = random.Random(1960)
    for _ in range(20):
        first = [generator.choice([0, 1, 2, 3]) for _ in range(30)]
        second = [value if generator.random() < 0.6 else generator.choice([0, 1, 2, 3]) for value in first]
        expected = metrics.cohen_kappa_score(first, second, weights=weights, labels=[0, 1, 2, 3])

        assert cohen_kappa(zip(first, second, strict=True), weights=weights, categories=[0, 1, 2, 3]) == (
            pytest.approx(expected, abs=1e-9)
        )


def test_kappa_rejects_unknown_weights():
    with pytest.raises(ValueError, match="Unknown weights"):
        cohen_kappa([(1, 2), (2, 1)], weights="cubic")


# --- From codings to the units x coders table ------------------------------------------


def test_reliability_table_leaves_out_cases_only_one_coder_coded():
    table = reliability_table(TWO_CODERS, value="salience", codes=CODEBOOK)

    assert table["coders"] == ["A", "B"]
    assert {unit["city"] for unit in table["units"]} == {"oslo", "copenhagen", "vejle"}
    assert len(table["units"]) == 9


def test_reliability_table_marks_a_code_left_out_by_a_coder_of_the_case_as_not_applied():
    table = reliability_table(TWO_CODERS, value="presence", codes=CODEBOOK)
    values = {(unit["city"], unit["code"]): value for unit, value in zip(table["units"], table["values"], strict=True)}

    assert values[("vejle", "representation")] == [False, True]
    assert values[("oslo", "promotion")] == [False, False]
    assert values[("oslo", "knowledge")] == [True, True]


def test_reliability_table_gives_missing_salience_where_a_code_was_not_applied():
    table = reliability_table(TWO_CODERS, value="salience", codes=CODEBOOK)
    values = {(unit["city"], unit["code"]): value for unit, value in zip(table["units"], table["values"], strict=True)}

    assert values[("vejle", "representation")] == [None, 1]
    assert values[("copenhagen", "knowledge")] == [3, 2]


def test_reliability_table_counts_a_coder_once_per_cell_with_their_highest_salience():
    rows = [
        row("A", "knowledge", 1, perspective="city"),
        row("A", "knowledge", 3, perspective="researcher"),
        row("B", "knowledge", 3),
    ]

    table = reliability_table(rows, value="salience")

    assert table["values"] == [[3, 3]]


def test_reliability_table_keeps_a_network_as_a_whole_apart_from_its_member_cities():
    rows = [row("A", "capacity", 3, city=None), row("B", "capacity", 1, city=None), row("A", "capacity", 3)]

    table = reliability_table(rows, value="salience")

    assert table["units"] == [{"city": None, "network": "eurocities", "code": "capacity"}]
    assert table["values"] == [[3, 1]]


# --- The summary: hand-worked figures ---------------------------------------------------


def test_summary_presence_kappa_and_alpha_match_the_hand_worked_example():
    # 9 units: both applied 5, only B 1, neither 3. A yes 5/9, B yes 6/9.
    # kappa = (8/9 - 42/81) / (1 - 42/81) = 10/13; alpha: n_yes 11, n_no 7, n 18,
    # alpha = 1 - 17 * 2 / (2 * 11 * 7) = 60/77.
    summary = agreement_summary(TWO_CODERS, codes=CODEBOOK)

    assert summary["coders"] == ["A", "B"]
    assert summary["cases"] == 3
    assert summary["overall"]["units"] == 9
    assert summary["overall"]["presence_kappa"] == pytest.approx(10 / 13)
    assert summary["overall"]["presence_alpha"] == pytest.approx(60 / 77)
    assert summary["overall"]["pairs"][0]["presence_agreement"] == pytest.approx(8 / 9)


def test_summary_salience_kappa_and_ordinal_alpha_match_the_hand_worked_example():
    # Both applied: (3,3) (3,2) (3,2) (1,1) (2,2). kappa = (3/5 - 7/25) / (1 - 7/25) = 4/9.
    # Ordinal alpha: n1 2, n2 4, n3 4; delta(2,3) = 16, delta(1,2) = 9, delta(1,3) = 49;
    # Do = 64, De = 1440, alpha = 1 - 9 * 64 / 1440 = 0.6.
    summary = agreement_summary(TWO_CODERS, codes=CODEBOOK)

    assert summary["overall"]["salience_kappa"] == pytest.approx(4 / 9)
    assert summary["overall"]["salience_alpha"] == pytest.approx(0.6)
    assert summary["overall"]["pairs"][0]["salience_units"] == 5


def test_summary_gives_figures_per_code_in_codebook_order():
    summary = agreement_summary(TWO_CODERS, codes=CODEBOOK)
    by_code = {entry["code"]: entry for entry in summary["codes"]}

    assert [entry["code"] for entry in summary["codes"]] == CODEBOOK
    # knowledge: salience pairs (3,3) (3,2) (2,2); presence all agreed with no variation.
    assert by_code["knowledge"]["presence_kappa"] is None
    assert by_code["knowledge"]["pairs"][0]["salience_agreement"] == pytest.approx(2 / 3)
    assert by_code["promotion"]["salience_alpha"] is None


def test_summary_gives_kappa_per_pair_and_leaves_the_overall_kappa_to_two_coder_data():
    rows = [*TWO_CODERS, row("C", "knowledge", 3), row("C", "representation", 3)]

    summary = agreement_summary(rows, codes=CODEBOOK)

    assert summary["overall"]["presence_kappa"] is None
    assert [pair["coders"] for pair in summary["overall"]["pairs"]] == [["A", "B"], ["A", "C"], ["B", "C"]]
    # A and C share only Oslo, where both applied knowledge and representation and not promotion
    assert summary["overall"]["pairs"][1]["units"] == 3
    assert summary["overall"]["pairs"][1]["presence_kappa"] == 1.0
    assert summary["overall"]["salience_alpha"] is not None


def test_summary_of_single_coder_data_has_no_units():
    summary = agreement_summary([row("A", "knowledge", 3)], codes=CODEBOOK)

    assert summary["cases"] == 0
    assert summary["overall"]["units"] == 0
    assert summary["overall"]["salience_alpha"] is None
    assert summary["overall"]["pairs"] == []
    assert summary["disagreements"] == []


# --- Disagreements ----------------------------------------------------------------------


def test_disagreements_list_both_codings_side_by_side():
    evidence = [{"kind": "quote", "text": "Lobbying matters less", "citation": "Interview 3, p. 68"}]
    rows = [row("A", "representation", 3, id=1), row("B", "representation", 1, id=2, evidence=evidence)]

    (found,) = disagreements(rows)

    assert (found["city"], found["network"], found["code"], found["kind"]) == (
        "oslo",
        "eurocities",
        "representation",
        "salience",
    )
    assert [side["coder"] for side in found["sides"]] == ["A", "B"]
    assert [side["salience_label"] for side in found["sides"]] == ["central", "minor"]
    assert found["sides"][1]["evidence"] == evidence


def test_disagreements_name_a_code_one_coder_left_out_and_an_outcome_difference():
    found = disagreements(TWO_CODERS, codes=CODEBOOK)
    kinds = {(entry["city"], entry["code"]): entry["kind"] for entry in found}

    assert kinds == {
        ("oslo", "representation"): "salience",
        ("copenhagen", "knowledge"): "salience",
        ("vejle", "representation"): "presence",
    }
    vejle = next(entry for entry in found if entry["city"] == "vejle")
    assert vejle["sides"][0] == {"coder": "A", "applied": False}

    outcome = disagreements([row("A", "knowledge", 3, outcome="met"), row("B", "knowledge", 3, outcome="mixed")])
    assert outcome[0]["kind"] == "outcome"


# --- The matrix cell ---------------------------------------------------------------------


def test_cell_coded_by_one_coder_is_single():
    mark = classify_cell([{"coder": "Seed", "salience": 3, "outcome": "met"}])

    assert mark["status"] == "single"
    assert mark["coders"] == 1
    assert mark["summary"] == "Coded by Seed only"


def test_cell_with_same_salience_and_outcome_from_two_coders_is_agreed():
    mark = classify_cell(
        [{"coder": "A", "salience": 2, "outcome": "met"}, {"coder": "B", "salience": 2, "outcome": "met"}]
    )

    assert mark["status"] == "agreed"
    assert mark["salience_range"] == [2, 2]
    assert mark["summary"] == "2 coders agree: important, met"


def test_cell_one_salience_category_apart_is_disputed():
    mark = classify_cell(
        [{"coder": "A", "salience": 3, "outcome": "met"}, {"coder": "B", "salience": 2, "outcome": "met"}]
    )

    assert mark["status"] == "disputed"
    assert mark["salience_range"] == [2, 3]
    assert "A: central, met" in mark["summary"]
    assert "B: important, met" in mark["summary"]


def test_cell_with_same_salience_but_another_outcome_is_disputed():
    mark = classify_cell(
        [{"coder": "A", "salience": 3, "outcome": "met"}, {"coder": "B", "salience": 3, "outcome": ""}]
    )

    assert mark["status"] == "disputed"


def test_cell_a_coder_of_the_row_left_empty_is_disputed():
    mark = classify_cell([{"coder": "A", "salience": 1, "outcome": ""}], case_coders=["A", "B"])

    assert mark["status"] == "disputed"
    assert mark["values"][1] == {
        "coder": "B",
        "applied": False,
        "salience": None,
        "salience_label": "",
        "outcome": "",
    }
    assert "B: not applied" in mark["summary"]


def test_matrix_with_agreement_marks_every_coded_cell_and_leaves_the_input_alone():
    def cell(*codings):
        return {"salience": max(c["salience"] for c in codings), "codings": list(codings)}

    matrix = {
        "codes": [{"code": "knowledge"}, {"code": "promotion"}, {"code": "policy"}],
        "rows": [
            {
                "city": {"slug": "oslo"},
                "network": {"slug": "eurocities"},
                "cells": {
                    "knowledge": cell(
                        {"coder": "A", "salience": 3, "outcome": "met"}, {"coder": "B", "salience": 3, "outcome": "met"}
                    ),
                    "promotion": cell({"coder": "A", "salience": 2, "outcome": "met"}),
                    "policy": None,
                },
            }
        ],
    }

    marked = matrix_with_agreement(matrix)
    cells = marked["rows"][0]["cells"]

    assert cells["knowledge"]["agreement"]["status"] == "agreed"
    assert cells["promotion"]["agreement"]["status"] == "disputed"  # B coded the row but not this
    assert cells["policy"] is None
    assert "agreement" not in matrix["rows"][0]["cells"]["knowledge"]


# --- Collecting the codings from the database -------------------------------------------


@pytest.mark.django_db
def test_for_agreement_collects_cities_and_networks_as_a_whole_in_two_queries(django_assert_num_queries):
    network = NetworkFactory(slug="eurocities")
    oslo = CityFactory(name="Oslo", slug="oslo")
    first, second = CoderFactory(name="First"), CoderFactory(name="Second")
    coding = CodingFactory(city=oslo, network=network, coder=first, salience=3)
    CodingFactory(city=oslo, network=network, coder=second, code=coding.code, salience=2)
    CodingFactory(city=None, network=network, coder=first, perspective=Coding.Perspective.NETWORK)
    EvidenceFactory(coding=coding, text="Exchange of experience", locator="p. 67")
    CodingFactory()  # another network

    # 1 the codings with city, network, code and coder; 2 their evidence with its source
    with django_assert_num_queries(2):
        rows = coding_rows(Coding.objects.for_agreement(network=network))

    assert [(entry["city"], entry["coder"]) for entry in rows] == [
        (None, "First"),
        ("oslo", "First"),
        ("oslo", "Second"),
    ]
    assert rows[1]["evidence"][0]["text"] == "Exchange of experience"
    assert rows[1]["evidence"][0]["citation"].endswith("p. 67")
    assert agreement_summary(rows)["disagreements"][0]["kind"] == "salience"


@pytest.mark.django_db
def test_for_agreement_filters_by_city_slugs():
    network = NetworkFactory()
    oslo, bergen = CityFactory(slug="oslo"), CityFactory(slug="bergen")
    CodingFactory(city=oslo, network=network)
    CodingFactory(city=bergen, network=network)
    CodingFactory(city=None, network=network, perspective=Coding.Perspective.NETWORK)

    codings = Coding.objects.for_agreement(network=network, cities=["oslo"])

    assert [coding.city.slug for coding in codings] == ["oslo"]
