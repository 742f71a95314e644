"""The API and a coding with no salience: null in JSON and in the schema, empty in CSV, never
matched by a salience filter, and kept apart from 0 in the matrix and the agreement figures."""

import csv

import pytest

from networks.models import Coding
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import NetworkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coded(db) -> dict:
    """Oslo coded for knowledge sharing by two coders in Eurocities: A without a salience, B at 0."""
    network = NetworkFactory(name="Eurocities", slug="eurocities")
    oslo = CityFactory(name="Oslo", slug="oslo")
    knowledge = CodeFactory(code="knowledge", name="Knowledge sharing", position=1)
    first, second = CoderFactory(name="A"), CoderFactory(name="B")
    unrated = CodingFactory(city=oslo, network=network, code=knowledge, coder=first, salience=None, outcome="")
    zero = CodingFactory(city=oslo, network=network, code=knowledge, coder=second, salience=0, outcome="")
    for coding in (unrated, zero):
        EvidenceFactory(coding=coding)
    return {"unrated": unrated, "zero": zero}


def test_a_coding_without_a_salience_is_null_in_json(client, coded):
    body = client.get(f"/api/v1/codings/{coded['unrated'].pk}/").json()

    assert body["salience"] is None
    assert body["salience_label"] == "coded, not rated"


def test_the_schema_says_salience_may_be_null(client):
    schema = client.get("/api/v1/schema/?format=json").json()["components"]["schemas"]

    assert schema["Coding"]["properties"]["salience"]["nullable"] is True
    assert schema["MatrixCell"]["properties"]["salience"]["nullable"] is True


def test_salience_filters_never_match_an_unrated_coding(client, coded):
    at_most = client.get("/api/v1/codings/?salience_max=3").json()["results"]
    at_least = client.get("/api/v1/codings/?salience_min=0").json()["results"]

    assert [row["id"] for row in at_most] == [coded["zero"].pk]
    assert [row["id"] for row in at_least] == [coded["zero"].pk]


def test_codings_csv_leaves_an_unrated_salience_empty(client, coded):
    response = client.get("/api/v1/codings/?format=csv")

    text = b"".join(response.streaming_content).decode("utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("# ")]
    saliences = {int(row["id"]): row["salience"] for row in csv.DictReader(lines)}
    assert saliences == {coded["unrated"].pk: "", coded["zero"].pk: "0"}


def test_a_coding_written_without_a_salience_is_stored_unrated(staff_client, write_targets, coding_payload):
    payload = {key: value for key, value in coding_payload.items() if key != "salience"}
    evidence = [{"source": write_targets["source"].pk, "kind": "paraphrase", "text": "Exchange of experience"}]

    response = staff_client.post("/api/v1/codings/", {**payload, "evidence": evidence}, content_type="application/json")

    assert response.status_code == 201, response.json()
    assert response.json()["salience"] is None
    assert Coding.objects.get().salience is None


def test_matrix_cell_of_a_rated_and_an_unrated_coding_shows_the_rated_and_counts_the_other(client, coded):
    matrix = client.get("/api/v1/matrix/?network=eurocities").json()

    cell = matrix["rows"][0]["cells"]["knowledge"]
    assert cell["salience"] == 0
    assert cell["unrated"] == 1
    assert sorted((coding["coder"], coding["salience"]) for coding in cell["codings"]) == [("A", None), ("B", 0)]


def test_agreement_counts_the_unrated_coding_as_present_and_leaves_its_salience_out(client, coded):
    figures = client.get("/api/v1/agreement/?network=eurocities").json()["overall"]

    assert figures["units"] == 1
    assert figures["pairs"][0]["presence_agreement"] == 1.0
    assert figures["pairs"][0]["salience_units"] == 0
    assert figures["salience_left_out"] == 1 and figures["pairs"][0]["salience_left_out"] == 1
