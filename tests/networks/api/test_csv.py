"""CSV downloads: every row (not one page), streamed, attributed, the same data as the JSON."""

import csv
import datetime
import io

import pytest

from cities.geonames import GEONAMES_ATTRIBUTION
from citynet.downloads import FORMULA_PREFIXES
from citynet.downloads import csv_lines
from citynet.downloads import neutralise
from tests.factories import API_RESOURCES
from tests.factories import CityFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


def read_csv(response) -> tuple[list[str], list[dict]]:
    """The `#` comment lines and the rows of a streamed CSV response."""
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    lines = text.splitlines(keepends=True)
    comments = [line[2:].rstrip("\r\n") for line in lines if line.startswith("# ")]
    rows = list(csv.DictReader(io.StringIO("".join(line for line in lines if not line.startswith("# ")))))
    return comments, rows


def all_json_rows(client, url: str) -> list[dict]:
    rows = []
    while url:
        body = client.get(url).json()
        rows += body["results"]
        url = body["next"]
    return rows


def as_csv_text(value) -> str:
    """How a JSON value reads back from the CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " | ".join(as_csv_text(item) for item in value)
    return str(value)


@pytest.mark.parametrize(
    ("resource", "factory"), [(resource, factory) for resource, (factory, _) in API_RESOURCES.items()]
)
def test_every_csv_has_the_same_rows_and_values_as_all_json_pages(client, resource, factory):
    factory.create_batch(5)
    json_rows = all_json_rows(client, f"/api/v1/{resource}/?page_size=2")
    _, csv_rows = read_csv(client.get(f"/api/v1/{resource}/?format=csv"))
    assert len(csv_rows) == len(json_rows) >= 5
    for json_row, csv_row in zip(json_rows, csv_rows, strict=True):
        expected = {name: as_csv_text(value) for name, value in json_row.items() if name != "evidence"}
        assert {name: csv_row[name] for name in expected} == expected


def test_membership_csv_has_the_same_rows_as_all_json_pages(client):
    network = NetworkFactory(slug="eurocities")
    for year in range(2000, 2007):
        MembershipFactory(network=network, joined=datetime.date(year, 1, 1), note="=cmd|' /C calc'!A0")
    json_rows = all_json_rows(client, "/api/v1/memberships/?network=eurocities&page_size=3")
    _, csv_rows = read_csv(client.get("/api/v1/memberships/?network=eurocities&format=csv"))
    assert len(json_rows) == len(csv_rows) == 7
    for json_row, csv_row in zip(json_rows, csv_rows, strict=True):
        expected = {name: as_csv_text(value) for name, value in json_row.items()}
        expected["note"] = "'" + expected["note"]
        assert csv_row == expected


def test_csv_export_is_not_paginated(client):
    network = NetworkFactory()
    for city in CityFactory.create_batch(60):
        MembershipFactory(city=city, network=network)
    assert client.get("/api/v1/memberships/").json()["count"] == 60
    _, rows = read_csv(client.get("/api/v1/memberships/?format=csv&page_size=10"))
    assert len(rows) == 60


def test_accept_header_asks_for_csv(client):
    CityFactory()
    response = client.get("/api/v1/cities/", HTTP_ACCEPT="text/csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="citynet-cities.csv"'


@pytest.mark.parametrize(
    ("url", "factory", "first_column"),
    [(f"/api/v1/{resource}/", factory, key) for resource, (factory, key) in API_RESOURCES.items()],
)
def test_every_list_downloads_as_csv_with_the_json_field_names(client, url, factory, first_column):
    factory.create_batch(2)
    json_fields = list(client.get(url).json()["results"][0])
    comments, rows = read_csv(client.get(url + "?format=csv"))
    assert len(rows) == 2
    assert comments[0].startswith("Citynet API v1: ")
    columns = list(rows[0])
    assert columns[0] == first_column
    assert set(json_fields) - {"evidence"} <= set(columns)


def test_city_csv_credits_geonames_and_names_its_url(client):
    CityFactory()
    comments, _ = read_csv(client.get("/api/v1/cities/?country=NO&format=csv"))
    assert comments[0].startswith("Citynet API v1: cities. http://testserver/api/v1/cities/?country=NO&format=csv")
    assert GEONAMES_ATTRIBUTION in comments


def test_coding_csv_cites_the_study_its_evidence_comes_from(client):
    study = SourceFactory(kind="study", citation="Grønnestad and Nielsen (2018), Urbane forbindelser.")
    interview = SourceFactory(kind="interview", part_of=study, interview_number=2)
    EvidenceFactory(coding=CodingFactory(), source=interview)
    comments, _ = read_csv(client.get("/api/v1/codings/?format=csv"))
    assert "Study: Grønnestad and Nielsen (2018), Urbane forbindelser." in comments
    assert client.get("/api/v1/codings/").json()["attribution"][1] == (
        "Study: Grønnestad and Nielsen (2018), Urbane forbindelser."
    )


def test_coding_csv_joins_the_evidence_into_one_cell(client):
    coding = CodingFactory()
    first = EvidenceFactory(coding=coding, text="One", locator="p. 1", source=SourceFactory(label="Interview 3"))
    second = EvidenceFactory(coding=coding, text="Two", locator="p. 2", source=SourceFactory(label="Interview 4"))
    _, rows = read_csv(client.get("/api/v1/codings/?format=csv"))
    assert rows[0]["evidence"] == "One (Interview 3, p. 1) | Two (Interview 4, p. 2)"
    assert rows[0]["evidence_count"] == "2"
    assert rows[0]["evidence_ids"] == f"{first.pk} | {second.pk}"


def test_membership_csv_keeps_each_rows_source(client):
    MembershipFactory(source=SourceFactory(citation="Eurocities (2018). Members.", url="https://eurocities.eu"))
    _, rows = read_csv(client.get("/api/v1/memberships/?format=csv"))
    assert (rows[0]["source_citation"], rows[0]["source_url"]) == (
        "Eurocities (2018). Members.",
        "https://eurocities.eu",
    )


def test_csv_keeps_non_ascii_text(client):
    CityFactory(name="København", slug="kobenhavn", country="DK")
    _, rows = read_csv(client.get("/api/v1/cities/?format=csv"))
    assert rows[0]["name"] == "København"


@pytest.mark.parametrize("text", ["=SUM(A1)", "+47 22", "-1", "@cmd", "\tx"])
def test_formula_looking_cells_are_neutralised(text):
    assert neutralise(text) == "'" + text


def test_numbers_and_plain_text_are_left_as_they_are():
    assert (neutralise(-10.7), neutralise("Oslo"), neutralise(None)) == (-10.7, "Oslo", None)


def test_a_hash_inside_a_cell_never_starts_a_comment_line():
    lines = list(csv_lines([{"name": "# not a comment"}], ["name"], comments=["a comment"]))
    assert lines == ["# a comment\r\n", '"name"\r\n', '"# not a comment"\r\n']


def spreadsheet_cells(line: str) -> list[str]:
    """The cells a spreadsheet makes of one line: split at commas (or, in locales such as
    Danish, semicolons), a cell starting with a quote reaching to its closing quote."""
    return [cell for delimiter in ",;" for row in csv.reader([line], delimiter=delimiter) for cell in row]


def assert_no_formula(lines: list[str]) -> None:
    for line in lines:
        for cell in spreadsheet_cells(line):
            assert not cell.lstrip(" ").startswith(FORMULA_PREFIXES), (cell, line)


def test_the_url_in_a_downloads_first_comment_line_is_one_harmless_cell(client):
    response = client.get('/api/v1/cities/?format=csv&search=,=1+1,"=2+2";@SUM(1)')
    comments, rows = read_csv(response)  # still comment lines: each starts with "# "
    assert rows == []
    lines = [f"# {comment}" for comment in comments]
    assert_no_formula(lines)
    url = "http://testserver/api/v1/cities/?format=csv&search=%2C=1+1%2C%22=2+2%22%3B@SUM(1)"
    assert comments[0].startswith(f"Citynet API v1: cities. {url} (retrieved ")
    assert spreadsheet_cells(lines[0])[0] == lines[0]  # the whole line one cell: the URL is not split


def test_no_comment_line_can_start_a_formula_in_a_spreadsheet():
    comments = ['a, =1+1, "=2+2",@cmd; -3', "tab\there,\t=4", "two\nlines,\r\n+5", 'Study: Smith, J. "Cities", 2018']
    lines = list(csv_lines([], ["name"], comments))[: len(comments)]
    assert_no_formula(lines)
    assert all(line.startswith("# ") and line.endswith("\r\n") and line.count("\n") == 1 for line in lines)
    assert lines[0] == "# a, '=1+1, '\"=2+2\",'@cmd; '-3\r\n"
    assert lines[3] == '# Study: Smith, J. "Cities", 2018\r\n'  # plain text is left as it is


def test_csv_of_a_bad_filter_is_a_400(client):
    response = client.get("/api/v1/memberships/?format=csv&member_on=notadate")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/csv")
    assert "member_on" in response.content.decode()


def test_csv_of_one_object_is_one_row(client):
    CityFactory(slug="oslo", name="Oslo")
    response = client.get("/api/v1/cities/oslo/?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["name"] for row in rows] == ["Oslo"]


def test_unknown_format_is_404(client):
    assert client.get("/api/v1/cities/?format=xlsx").status_code == 404


def test_membership_export_writes_what_the_serializer_would(client):
    """The spells' CSV is written from plain values for speed (MembershipSerializer.csv_text);
    its lines are the ones the generic path (DRF's fields, then csv_lines) writes, awkward
    values included."""
    from networks.api.serializers import MembershipSerializer
    from networks.models import Membership

    awkward = SourceFactory(label="", citation='=HYPERLINK("x") "Quoted", ' + "cut at eighty characters " * 4)
    MembershipFactory(city=CityFactory(name='-Minus, "quoted"\nname'), source=awkward, note="@note")
    listed = datetime.date(2025, 5, 1)
    MembershipFactory(joined=None, left=None, took_effect=False, application_round=2, listed_on=listed)
    MembershipFactory(left=datetime.date(2019, 12, 31), left_precision="year", type="associate")
    response = client.get("/api/v1/memberships/?format=csv")
    lines = b"".join(response.streaming_content).decode("utf-8").split("\r\n")
    serializer = MembershipSerializer()
    columns = [name for name, field in serializer.fields.items() if not field.write_only]
    assert columns == MembershipSerializer.Meta.fields
    spells = Membership.objects.for_list().order_by("network__name", "city__name", "joined", "pk")
    generic = (super(MembershipSerializer, serializer).to_representation(spell) for spell in spells)
    expected = "".join(csv_lines(generic, columns, [])).split("\r\n")
    assert [line for line in lines if not line.startswith("# ")] == expected


def test_membership_export_refuses_columns_other_than_the_serializers_fields():
    """The fast writer writes the serializer's fields in order; asked for anything else it fails
    loudly instead of leaving a field out."""
    from networks.api.serializers import MembershipSerializer
    from networks.models import Membership

    fields = MembershipSerializer.Meta.fields
    for columns in (fields[::-1], fields[:-1], [*fields, "extra"]):
        with pytest.raises(ValueError, match="Meta.fields"):
            MembershipSerializer.csv_text(Membership.objects.for_list(), columns)


def test_membership_export_streams_in_blocks_not_a_write_per_row(client):
    MembershipFactory.create_batch(3)
    response = client.get("/api/v1/memberships/?format=csv")
    chunks = list(response.streaming_content)
    assert len(chunks) <= 3  # the comments and header, then the rows: far fewer writes than rows
