"""The matrix built from an empty cache (issue 15): the fast paths give what the plain ones do.

`selectors.agreed_matrix` builds the matrix from plain values without a row dict per coding
(`aggregates.comparison_matrix_from_values`) and marks agreement in place
(`agreement.add_agreement`); the API encodes it with orjson (`MatrixJSONRenderer`). Each is
checked here against the path it replaces, on hand-made rows and on the study's own data."""

import datetime
import decimal
import json
from unittest import mock

import pytest
from django.utils.functional import lazy
from rest_framework.renderers import JSONRenderer

from networks import aggregates
from networks.aggregates.matrix import comparison_matrix_from_values
from networks.api.matrix import MatrixJSONRenderer
from networks.importing.study import study_load
from networks.models import Code
from networks.models import Network
from networks.research import agreement
from networks.selectors import agreed_matrix
from networks.selectors import values_matrix
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory

CODES = [
    Code(code="knowledge", name="Knowledge sharing", kind=Code.Kind.FUNCTION, position=1),
    Code(code="policy", name="Policy", kind=Code.Kind.FUNCTION, position=2),
    Code(code="appropriateness", name="Appropriateness", kind=Code.Kind.LOGIC, position=1),
]


def coding(pk, city, code, coder, salience, *, coded_at="2020-01-01", outcome="met", perspective="city", network=1):
    """A `Coding.objects.for_matrix_rows()` tuple; `city` is (id, slug, name)."""
    city_id, slug, name = city
    return (
        pk,
        city_id,
        slug,
        name,
        "NO",
        network,
        f"network-{network}",
        f"Network {network}",
        "",
        code,
        salience,
        outcome,
        perspective,
        coded_at,
        coder,
    )


def evidence(coding_pk, pk, *, locator="p. 1", details=False):
    """An `Evidence.objects.for_matrix_rows()` tuple (with a page's details if asked)."""
    row = (coding_pk, pk, "public", "quote", f"Text {pk}", locator, "interview", "Informant", "Study 2018", 2, 2018)
    return (*row, f"Original {pk}", "no", "https://example.org") if details else row


OSLO, BERGEN, OTHER_OSLO = (1, "oslo", "Oslo"), (2, "bergen", "Bergen"), (3, "oslo-2", "Oslo")
CODINGS = [
    # One coding per cell, one coder per row.
    coding(1, BERGEN, "knowledge", "A", 3),
    coding(2, BERGEN, "appropriateness", "A", None),
    # Several perspectives of one coder in a cell: the highest salience leads, then the latest.
    coding(3, OSLO, "knowledge", "A", 2, perspective="city"),
    coding(4, OSLO, "knowledge", "A", 2, perspective="researcher", coded_at="2021-01-01"),
    coding(5, OSLO, "knowledge", "B", None, outcome="mixed"),
    # A coder who left a code out of a row they coded: a dissent.
    coding(6, OSLO, "policy", "A", 1),
    # Two places of one name: two rows.
    coding(7, OTHER_OSLO, "policy", "B", 0, outcome=""),
    coding(8, OTHER_OSLO, "policy", "B", None, perspective="researcher"),
    # A code of an earlier codebook: in no column.
    coding(9, OTHER_OSLO, "retired", "C", 3),
    # The same coder agreeing with themselves twice, rated and unrated, in another network.
    coding(10, OSLO, "knowledge", "A", 1, network=2),
    coding(11, OSLO, "knowledge", "B", 1, network=2),
]
EVIDENCE = [evidence(1, 101), evidence(1, 102, locator=""), evidence(3, 103), evidence(4, 104), evidence(8, 105)]


@pytest.mark.parametrize("details", [False, True])
def test_the_matrix_from_values_is_the_matrix_from_coding_rows(details):
    rows = [evidence(*row[:2], locator=row[5], details=details) for row in EVIDENCE]

    fast = comparison_matrix_from_values(CODINGS, rows, CODES)

    expected = aggregates.comparison_matrix_from_rows(aggregates.coding_rows(CODINGS, rows), CODES)
    assert fast == expected
    # Same order of keys too: the API's body, and so its ETag, is unchanged.
    assert json.dumps(fast) == json.dumps(expected)
    (oslo,) = [
        row["cells"]["knowledge"]
        for row in fast["rows"]
        if row["city"]["slug"] == "oslo" and row["network"]["slug"] == "network-1"
    ]
    assert (oslo["salience"], oslo["perspective"], oslo["unrated"], oslo["coders"]) == (2, "researcher", 1, ["A", "B"])
    assert [item["id"] for item in oslo["evidence"]] == [103, 104]


def test_marking_agreement_in_place_marks_as_a_new_matrix_would():
    matrix = comparison_matrix_from_values(CODINGS, EVIDENCE, CODES)
    expected = agreement.matrix_with_agreement(matrix)

    marked = agreement.add_agreement(comparison_matrix_from_values(CODINGS, EVIDENCE, CODES))

    assert marked == expected
    assert json.dumps(marked) == json.dumps(expected)
    marks = {
        (row["city"]["slug"], row["network"]["slug"], code): cell["agreement"]["status"]
        for row in marked["rows"]
        for code, cell in row["cells"].items()
        if cell
    }
    assert marks == {
        ("bergen", "network-1", "knowledge"): "single",
        ("bergen", "network-1", "appropriateness"): "single",
        ("oslo", "network-1", "knowledge"): "disputed",
        ("oslo", "network-1", "policy"): "disputed",
        ("oslo", "network-2", "knowledge"): "agreed",
        ("oslo-2", "network-1", "policy"): "single",
    }
    bergen = matrix["rows"][0]["cells"]["appropriateness"]
    assert marked["rows"][0]["cells"]["appropriateness"]["agreement"] == agreement.classify_cell(
        bergen["codings"], case_coders={"A"}
    )


@pytest.mark.django_db
def test_the_studys_matrix_is_unchanged_for_every_network_and_city():
    study_load()
    codes = list(Code.objects.current())
    for network in [None, *Network.objects.all()]:
        for details in (False, True):
            expected = agreement.matrix_with_agreement(values_matrix(network, details=details, codes=codes))
            assert agreed_matrix(network, details=details, codes=codes) == expected
    chosen = ["oslo", "copenhagen"]
    assert agreed_matrix(None, chosen) == agreement.matrix_with_agreement(values_matrix(None, chosen))


DATA = {
    "text": 'Line\u2028separator, paragraph\u2029separator, «quotes», "escaped" \\ and\ttab\n\x01\x1f\x7f',
    "emoji": "Ålesund 🏙",
    "numbers": [0, -1, 2**53, True, False, None],
    "nested": {"empty": {}, "list": [], "when": datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)},
    "day": datetime.date(2024, 5, 6),
    "amount": decimal.Decimal("2.50"),
    "lazy": lazy(lambda: "translated later", str)(),
}


def test_the_matrix_renderer_writes_drfs_bytes():
    expected = JSONRenderer().render(DATA)
    # Without falling back to DRF's renderer: orjson wrote them.
    with mock.patch.object(JSONRenderer, "render", side_effect=AssertionError("fell back")):
        assert MatrixJSONRenderer().render(DATA) == expected


def test_the_matrix_renderer_leaves_what_orjson_cannot_write_to_drf():
    # orjson refuses keys that are not strings and integers of more than 64 bits; DRF writes them.
    odd = {"keys": {1: "an int key"}, "big": 2**70}
    assert (
        MatrixJSONRenderer().render(odd)
        == JSONRenderer().render(odd)
        == b'{"keys":{"1":"an int key"},"big":1180591620717411303424}'
    )
    pretty = "application/json; indent=2"
    assert MatrixJSONRenderer().render(DATA, pretty) == JSONRenderer().render(DATA, pretty)
    assert MatrixJSONRenderer().render(None) == b""


@pytest.mark.django_db
def test_the_matrix_api_sends_the_bytes_drf_would(client):
    first = CodingFactory(salience=None)
    EvidenceFactory(coding=first, text="Before\u2028after — «Ålesund»")
    second = CodingFactory(city=first.city, network=first.network, salience=3)
    EvidenceFactory(coding=second, locator="")

    response = client.get(f"/api/v1/matrix/?network={first.network.slug}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert b"Before\\u2028after \xe2\x80\x94" in response.content
    assert response.content == JSONRenderer().render(response.json())
    pretty = client.get(f"/api/v1/matrix/?network={first.network.slug}", HTTP_ACCEPT="application/json; indent=4")
    assert pretty.content == JSONRenderer().render(response.json(), "application/json; indent=4")
