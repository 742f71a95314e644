"""The aggregates as data: the comparison matrix (checked against the study), facets."""

import csv
import datetime
import io

import pytest

from networks import aggregates
from networks.importing.study import study_load
from networks.models import Code
from networks.models import Coding
from networks.models import Membership
from networks.models import Network
from networks.research import agreement
from networks.selectors import offers_of_network
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def study():
    study_load()


def cells(matrix: dict, city: str) -> dict:
    """{code: (salience, outcome)} of the city's filled cells."""
    (row,) = [row for row in matrix["rows"] if row["city"]["slug"] == city]
    return {code: (cell["salience"], cell["outcome"]) for code, cell in row["cells"].items() if cell}


def test_eurocities_matrix_equals_the_studys_table(client, study):
    matrix = client.get("/api/v1/matrix/?network=eurocities&city=oslo&city=copenhagen").json()
    assert [row["city"]["name"] for row in matrix["rows"]] == ["Copenhagen", "Oslo"]
    functions = {"knowledge", "representation", "promotion"}
    oslo = {code: value for code, value in cells(matrix, "oslo").items() if code in functions}
    copenhagen = {code: value for code, value in cells(matrix, "copenhagen").items() if code in functions}
    assert oslo == {"knowledge": (3, "met"), "representation": (3, "met"), "promotion": (2, "met")}
    assert copenhagen == {"knowledge": (3, "mixed"), "representation": (1, "unknown"), "promotion": (1, "unknown")}


def test_matrix_cells_carry_their_evidence_with_citations(client, study):
    matrix = client.get("/api/v1/matrix/?network=eurocities&city=oslo").json()
    cell = matrix["rows"][0]["cells"]["representation"]
    assert cell["evidence_count"] == len(cell["evidence"]) == 2
    first = cell["evidence"][0]
    assert set(first) == {"id", "visibility", "kind", "text", "locator", "source", "citation"}
    assert first["kind"] == "paraphrase" and first["citation"].endswith("p. 67")
    assert matrix["rows"][0]["cells"]["policy"] is None


def test_matrix_columns_are_the_current_codebook(client, study):
    matrix = client.get("/api/v1/matrix/?network=eurocities").json()
    assert [column["code"] for column in matrix["codes"]] == [
        "representation",
        "policy",
        "capacity",
        "knowledge",
        "promotion",
        "consequences",
        "appropriateness",
    ]
    assert matrix["network"] == {"slug": "eurocities", "name": "Eurocities", "acronym": ""}


def test_matrix_of_all_networks_has_a_row_per_city_and_network(client, study):
    matrix = client.get("/api/v1/matrix/").json()
    assert matrix["network"] is None
    assert {(row["city"]["slug"], row["network"]["slug"]) for row in matrix["rows"]} >= {
        ("oslo", "eurocities"),
        ("copenhagen", "eurocities"),
        ("chennai", "100rc"),
    }


def test_matrix_json_equals_the_shared_aggregate(client):
    coding = CodingFactory(salience=3)
    EvidenceFactory(coding=coding)
    body = client.get(f"/api/v1/matrix/?network={coding.network.slug}").json()
    # The API marks each cell's agreement between coders (networks.research.agreement) on the shared matrix.
    expected = agreement.matrix_with_agreement(
        aggregates.comparison_matrix(Coding.objects.for_matrix(coding.network), Code.objects.current())
    )
    assert {"codes": body["codes"], "rows": body["rows"]} == expected


def test_matrix_cites_the_study_and_geonames(client, study):
    attribution = client.get("/api/v1/matrix/?network=eurocities").json()["attribution"]
    assert attribution[0].startswith("Contains data from GeoNames")
    assert attribution[1].startswith("Study: Solveig Grønnestad (University of Stavanger) and Anne Bach Nielsen")


def test_matrix_csv_has_one_row_per_filled_cell(client, study):
    response = client.get("/api/v1/matrix/?network=eurocities&city=oslo&format=csv")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO("".join(line for line in text.splitlines(True) if line[0] != "#"))))
    json_matrix = client.get("/api/v1/matrix/?network=eurocities&city=oslo").json()
    expected = aggregates.matrix_flat_rows(json_matrix)
    assert list(rows[0]) == aggregates.MATRIX_COLUMNS == list(expected[0])
    assert [row["code"] for row in rows] == [row["code"] for row in expected]
    assert {row["code"]: row["salience"] for row in rows}["representation"] == "3"
    assert "Study: Solveig" in text


def test_matrix_with_an_unknown_network_is_400(client):
    response = client.get("/api/v1/matrix/?network=atlantis")
    assert response.status_code == 400
    assert "network" in response.json()


def test_matrix_for_an_unknown_city_is_empty(client, study):
    assert client.get("/api/v1/matrix/?network=eurocities&city=atlantis").json()["rows"] == []


@pytest.fixture
def members():
    eurocities = NetworkFactory(slug="eurocities")
    resilient = NetworkFactory(slug="100rc")
    for country, type_ in [("NO", "full"), ("DK", "full"), ("DK", "associate")]:
        MembershipFactory(network=eurocities, city=CityFactory(country=country), type=type_)
    MembershipFactory(network=resilient, city=CityFactory(country="DK"), application_round=1)
    MembershipFactory(
        network=resilient, city=CityFactory(country="IN"), application_round=2, left=datetime.date(2019, 7, 31)
    )
    return eurocities


def facets(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return {facet["value"]: facet["count"] for facet in response.json()["facets"]}


def test_counts_members_per_country_in_one_network(client, members):
    assert facets(client, "/api/v1/memberships/facets/?dimension=country&network=eurocities") == {"DK": 2, "NO": 1}


def test_facets_apply_the_lists_filters(client, members):
    url = "/api/v1/memberships/facets/?dimension=network&member_on=2020-01-01"
    assert facets(client, url) == {"eurocities": 3, "100rc": 1}


def test_counts_members_per_type_and_per_round(client, members):
    assert facets(client, "/api/v1/memberships/facets/?dimension=type&network=eurocities") == {
        "full": 2,
        "associate": 1,
    }
    assert facets(client, "/api/v1/memberships/facets/?dimension=round&network=100rc") == {1: 1, 2: 1}


def test_facets_are_sorted_by_count_then_value_and_total_the_list(client, members):
    body = client.get("/api/v1/memberships/facets/?dimension=country").json()
    assert [facet["value"] for facet in body["facets"]] == ["DK", "IN", "NO"]
    assert body["total"] == client.get("/api/v1/memberships/").json()["count"] == 5
    assert body["attribution"][0].startswith("Contains data from GeoNames")


def test_counts_codings_per_code_and_per_outcome(client):
    knowledge = CodeFactory(code="knowledge")
    promotion = CodeFactory(code="promotion")
    CodingFactory(code=knowledge, outcome="met")
    CodingFactory(code=knowledge, outcome="mixed")
    CodingFactory(code=promotion, outcome="met", salience=1)
    assert facets(client, "/api/v1/codings/facets/?dimension=code") == {"knowledge": 2, "promotion": 1}
    assert facets(client, "/api/v1/codings/facets/?dimension=outcome&salience_min=2") == {"met": 1, "mixed": 1}


def test_counts_cities_per_country(client):
    CityFactory.create_batch(2, country="NO")
    assert facets(client, "/api/v1/cities/facets/?dimension=country") == {"NO": 2}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/memberships/facets/",
        "/api/v1/memberships/facets/?dimension=colour",
        "/api/v1/memberships/facets/?dimension=country&member_on=notadate",
        "/api/v1/codings/facets/?dimension=network&salience_min=abc",
    ],
)
def test_facets_with_a_missing_or_unknown_dimension_or_bad_filter_are_400(client, url):
    assert client.get(url).status_code == 400


def test_facets_download_as_csv(client, members):
    response = client.get("/api/v1/memberships/facets/?dimension=country&format=csv")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO("".join(line for line in text.splitlines(True) if line[0] != "#"))))
    assert rows[0] == {"dimension": "country", "value": "DK", "count": "3"}


def test_matrix_from_plain_values_equals_the_matrix_from_models(study):
    """The API, the comparison and the logics build the matrix from plain values (no model
    instances: a network may have 50,000 codings); it is the matrix `comparison_matrix` builds."""
    from networks.selectors import values_matrix

    code = Code.objects.current().first()
    network = CodingFactory(salience=1, code=code).network
    city = CityFactory(name="Vejle")
    # Two codings of one cell with the same salience: the later one leads.
    day = datetime.datetime(2020, 1, 2, tzinfo=datetime.UTC)
    later = CodingFactory(city=city, network=network, code=code, salience=3, coded_at=day)
    EvidenceFactory(coding=later, locator="")
    earlier = day - datetime.timedelta(seconds=0.5)
    CodingFactory(city=city, network=network, code=code, salience=3, perspective="researcher", coded_at=earlier)
    for slug in (None, network.slug, "eurocities"):
        chosen = Network.objects.filter(slug=slug).first()
        expected = aggregates.comparison_matrix(Coding.objects.for_matrix(chosen), Code.objects.current())
        assert values_matrix(chosen) == expected
    assert values_matrix(cities=["oslo", "vejle"]) == aggregates.comparison_matrix(
        Coding.objects.for_matrix(cities=["oslo", "vejle"]), Code.objects.current()
    )


def test_offers_summed_up_by_the_database_equal_the_offers_from_codings(study):
    for network in Network.objects.all():
        codings = Coding.objects.filter(network=network).select_related("city", "code")
        offers = offers_of_network(network, Code.objects.current())
        assert offers == aggregates.network_offer_and_use(codings, Code.objects.current())


def test_member_places_from_plain_values_equal_the_places_from_spells():
    resilient = NetworkFactory(name="100 Resilient Cities", acronym="100RC")
    eurocities = NetworkFactory(name="Eurocities")
    oslo = CityFactory(name="Oslo")
    MembershipFactory(city=oslo, network=resilient)
    MembershipFactory(city=oslo, network=eurocities)
    MembershipFactory(city=CityFactory(name="Alameda", latitude=None, longitude=None), network=resilient)
    MembershipFactory(city=CityFactory(name="Never"), network=resilient, took_effect=False)
    for network in (None, resilient):
        expected = aggregates.member_places(Membership.objects.for_map(network))
        assert aggregates.member_places_from_rows(Membership.objects.for_map_rows(network)) == expected
