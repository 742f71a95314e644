"""The quote table: /quotes/ and /api/v1/evidence/, their filters and downloads."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from networks.models import Code
from networks.models import Evidence
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def quotes():
    """Five evidence items: Oslo (two) and Copenhagen in Eurocities, Vejle in 100RC, and
    Eurocities as a whole; one passage starts like a spreadsheet formula."""
    knowledge = CodeFactory(code="knowledge", name="Knowledge sharing", position=1)
    representation = CodeFactory(code="representation", name="Representation", position=2)
    appropriateness = CodeFactory(code="appropriateness", name="Appropriateness", kind=Code.Kind.LOGIC, position=3)
    eurocities = NetworkFactory(name="Eurocities", slug="eurocities")
    resilient = NetworkFactory(name="100 Resilient Cities", slug="100rc")
    oslo = CityFactory(name="Oslo", slug="oslo")
    copenhagen = CityFactory(name="Copenhagen", slug="copenhagen", country="DK")
    vejle = CityFactory(name="Vejle", slug="vejle", country="DK")
    seed = CoderFactory(name="Citynet seed coding")
    study = SourceFactory(label="Grønnestad and Nielsen 2018", citation="Grønnestad, S., & Nielsen, A. B. (2018).")
    rows = [
        (oslo, eurocities, knowledge, 3, Evidence.Kind.QUOTE, "Exchange of experience and learning.", "p. 67"),
        (oslo, eurocities, representation, 3, Evidence.Kind.PARAPHRASE, "=HYPERLINK(lobby)", "p. 68"),
        (copenhagen, eurocities, knowledge, 2, Evidence.Kind.QUOTE, "Got less than hoped.", "p. 70"),
        (vejle, resilient, knowledge, 3, Evidence.Kind.QUOTE, "Values knowledge sharing.", "p. 80"),
        (None, eurocities, appropriateness, 1, Evidence.Kind.PARAPHRASE, "A club of big cities.", "p. 12"),
    ]
    for city, network, code, salience, kind, text, locator in rows:
        coding = CodingFactory(city=city, network=network, code=code, salience=salience, coder=seed)
        EvidenceFactory(coding=coding, source=study, kind=kind, text=text, locator=locator)


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("# ")))


def xlsx_sheets(response) -> dict[str, list[tuple]]:
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


def shown_texts(response) -> set[str]:
    return {row["text"] for row in response.context["rows"]}


# --- The page ----------------------------------------------------------------------------


def test_quote_table_shows_every_item_with_its_coding_and_source(client, quotes):
    response = client.get(reverse("networks:quotes"))

    assert response.status_code == 200
    assert response.context["page"].paginator.count == 5
    oslo = next(row for row in response.context["rows"] if row["text"] == "Exchange of experience and learning.")
    assert (oslo["city"], oslo["network"], oslo["code"], oslo["salience"], oslo["coder"]) == (
        "Oslo",
        "Eurocities",
        "knowledge",
        3,
        "Citynet seed coding",
    )
    assert (oslo["source"], oslo["locator"], oslo["kind"]) == (
        "Grønnestad, S., & Nielsen, A. B. (2018).",
        "p. 67",
        "quote",
    )
    html = response.content.decode()
    assert "The network as a whole" in html and "<q>Exchange of experience and learning.</q>" in html


@pytest.mark.parametrize(
    "query, expected",
    [
        (
            {"network": "eurocities"},
            {
                "Exchange of experience and learning.",
                "=HYPERLINK(lobby)",
                "Got less than hoped.",
                "A club of big cities.",
            },
        ),
        ({"network": "eurocities", "city": "oslo"}, {"Exchange of experience and learning.", "=HYPERLINK(lobby)"}),
        (
            {"code": "knowledge"},
            {"Exchange of experience and learning.", "Got less than hoped.", "Values knowledge sharing."},
        ),
        ({"kind": "paraphrase"}, {"=HYPERLINK(lobby)", "A club of big cities."}),
        ({"city": "copenhagen,vejle"}, {"Got less than hoped.", "Values knowledge sharing."}),
        (
            {"network": "eurocities", "code": "knowledge", "kind": "quote"},
            {"Exchange of experience and learning.", "Got less than hoped."},
        ),
    ],
)
def test_quote_table_filters_like_the_api(client, quotes, query, expected):
    page = client.get(reverse("networks:quotes"), query)
    api = client.get("/api/v1/evidence/", query).json()

    assert shown_texts(page) == expected
    assert {item["text"] for item in api["results"]} == expected


def test_quote_table_says_when_nothing_matches(client, quotes):
    html = client.get(reverse("networks:quotes"), {"network": "eurocities", "city": "vejle"}).content.decode()

    assert "No evidence matches these filters." in html


def test_empty_quote_table_says_how_evidence_gets_in(client):
    html = client.get(reverse("networks:quotes")).content.decode()

    assert "No evidence recorded yet" in html and "manage.py load_citynet" in html


def test_quote_table_rejects_a_malformed_filter_with_400(client, quotes):
    response = client.get(reverse("networks:quotes"), {"kind": "rumour"})

    assert response.status_code == 400
    assert "could not be read" in response.content.decode()


def test_quote_table_pages_keep_the_filters(client, quotes):
    coding = CodingFactory(code=Code.objects.get(code="knowledge"), network__slug="big")
    EvidenceFactory.create_batch(60, coding=coding)

    response = client.get(reverse("networks:quotes"), {"network": "big", "page": 2})

    assert response.context["page"].number == 2
    assert len(response.context["rows"]) == 10
    assert 'href="?network=big&amp;page=1"' in response.content.decode()


def test_quote_table_links_its_downloads_with_its_filters(client, quotes):
    html = client.get(reverse("networks:quotes"), {"network": "eurocities", "city": "oslo"}).content.decode()

    assert 'href="?network=eurocities&amp;city=oslo&amp;format=csv"' in html
    assert 'href="?network=eurocities&amp;city=oslo&amp;format=xlsx"' in html
    assert 'href="/export/codebook.qdc"' in html
    assert 'href="/export/project.qdpx?network=eurocities&amp;city=oslo"' in html


@pytest.mark.parametrize("n_items", [3, 80])
def test_quote_table_runs_eight_queries_however_many_items(client, django_assert_num_queries, n_items):
    coding = CodingFactory()
    EvidenceFactory.create_batch(n_items, coding=coding)
    # the count, one page of evidence with coding, city, network, code, coder and source joined,
    # the networks, coded cities, codebook and coders for the filters, then for "Cite this view"
    # the newest release and the study's citation
    with django_assert_num_queries(8):
        response = client.get(reverse("networks:quotes"))
    assert len(response.context["rows"]) == min(n_items, 50)


# --- Downloads ---------------------------------------------------------------------------


def test_quote_csv_has_exactly_the_filtered_rows_and_its_sources(client, quotes):
    response = client.get(reverse("networks:quotes"), {"network": "eurocities", "kind": "quote", "format": "csv"})
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("# ")))

    assert response["Content-Disposition"] == 'attachment; filename="citynet-quotes.csv"'
    assert {(row["city"], row["text"]) for row in rows} == {
        ("Oslo", "Exchange of experience and learning."),
        ("Copenhagen", "Got less than hoped."),
    }
    oslo = next(row for row in rows if row["city"] == "Oslo")
    assert (oslo["source"], oslo["locator"], oslo["salience"]) == (
        "Grønnestad, S., & Nielsen, A. B. (2018).",
        "p. 67",
        "3",
    )
    # The short name every page shows for the source, beside its full citation.
    assert oslo["source_label"] == "Grønnestad and Nielsen 2018"
    comments = [line for line in text.splitlines() if line.startswith("# ")]
    assert any("Contains data from GeoNames" in line for line in comments)
    assert any(line.startswith("# Cite as: Citynet contributors.") for line in comments)


def test_quote_csv_neutralises_formulas(client, quotes):
    rows = csv_rows(client.get(reverse("networks:quotes"), {"city": "oslo", "format": "csv"}))

    assert "'=HYPERLINK(lobby)" in {row["text"] for row in rows}


def test_quote_xlsx_has_exactly_the_filtered_rows_and_an_about_sheet(client, quotes):
    response = client.get(reverse("networks:quotes"), {"code": "knowledge", "format": "xlsx"})
    sheets = xlsx_sheets(response)

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    header, *rows = sheets["quotes"]
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert {(record["city"], record["text"]) for record in records} == {
        ("Oslo", "Exchange of experience and learning."),
        ("Copenhagen", "Got less than hoped."),
        ("Vejle", "Values knowledge sharing."),
    }
    assert {record["salience"] for record in records} == {2, 3}  # numbers stay numbers
    about = [line for (line,) in sheets["about"]]
    assert about[0].startswith("Citynet API v1: quote table.")
    assert any(line.startswith("Cite as: Citynet contributors.") for line in about)


def test_quote_xlsx_writes_formula_like_text_as_text(client, quotes):
    response = client.get(reverse("networks:quotes"), {"city": "oslo", "format": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))

    cells = [cell for row in workbook["quotes"].iter_rows() for cell in row if cell.value == "'=HYPERLINK(lobby)"]
    assert len(cells) == 1 and cells[0].data_type == "s"


def test_quote_xlsx_stops_at_its_row_cap_and_says_so(client, quotes, monkeypatch):
    monkeypatch.setattr("networks.views.XLSX_MAX_ROWS", 2)

    sheets = xlsx_sheets(client.get(reverse("networks:quotes"), {"format": "xlsx"}))

    assert len(sheets["quotes"]) == 1 + 2
    assert "Only the first 2 of 5 matching rows: the CSV download has them all." in [
        line for (line,) in sheets["about"]
    ]


# --- The API -----------------------------------------------------------------------------


def test_evidence_api_lists_items_with_their_coding_flattened(client, quotes):
    body = client.get("/api/v1/evidence/", {"city": "vejle"}).json()

    assert body["count"] == 1
    item = body["results"][0]
    assert {key: item[key] for key in ("city", "network", "code", "salience", "coder", "kind", "locator")} == {
        "city": "vejle",
        "network": "100rc",
        "code": "knowledge",
        "salience": 3,
        "coder": "Citynet seed coding",
        "kind": "quote",
        "locator": "p. 80",
    }
    assert item["source_citation"] == "Grønnestad, S., & Nielsen, A. B. (2018)."
    assert body["citation"]["release"] == "unreleased working data"


def test_evidence_api_is_read_only(staff_client, quotes):
    item = Evidence.objects.first()

    assert staff_client.post("/api/v1/evidence/", {}, content_type="application/json").status_code == 405
    assert staff_client.delete(f"/api/v1/evidence/{item.pk}/").status_code == 405
    assert Evidence.objects.filter(pk=item.pk).exists()


def test_evidence_api_csv_has_every_matching_item(client, quotes):
    rows = csv_rows(client.get("/api/v1/evidence/", {"network": "eurocities", "format": "csv"}))

    assert len(rows) == 4 and {row["network"] for row in rows} == {"eurocities"}


@pytest.mark.parametrize("n_items", [3, 80])
def test_evidence_api_runs_five_queries_however_many_items(client, django_assert_num_queries, n_items):
    EvidenceFactory.create_batch(n_items, coding=CodingFactory())
    # the count, the page's ids, one page of evidence with its coding's city, network, code and coder and its
    # source joined, the studies among the sources for `attribution`, the newest release for `citation`
    with django_assert_num_queries(5):
        body = client.get("/api/v1/evidence/").json()
    assert len(body["results"]) == min(n_items, 50)


def test_quote_table_names_an_interview_as_every_other_page_does(client):
    informant = SourceFactory(
        kind="interview", label="Informant 2, 2018", interview_number=2, year=2018, citation="Interview 2, 2018 (Oslo)."
    )
    EvidenceFactory(source=informant, locator="p. 67")
    html = client.get(reverse("networks:quotes")).content.decode()
    source = html.split('class="source">')[1].split("</td>")[0]
    assert source.startswith("Interview 2, 2018, <strong>p. 67</strong>")
    assert "Cited as: Informant 2, 2018" in source
