"""Hostile text that users type in (names, quotes, notes) is shown as text on every page and in
the admin, and CSV downloads do not hand spreadsheet formulas on to whoever opens them."""

import csv
import io
import json

import pytest
from import_export.formats.base_formats import CSV

from cities.resources import CityResource
from networks.models import Code
from tests.factories import (
    CityFactory,
    CodeFactory,
    CoderFactory,
    CodingFactory,
    EngagementObservationFactory,
    EvidenceFactory,
    MembershipFactory,
    NetworkFactory,
    ParticipationFactory,
    SourceFactory,
    SubNetworkFactory,
)

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
PAYLOAD = SCRIPT + ATTRIBUTE
# Markup that would run if a page let the payload through unescaped.
LIVE = ["<script>alert", "<img src=x", "onerror=alert(1)>"]
# The payload as an escaping template or json_script shows it.
SHOWN = ["&lt;script&gt;alert(1)&lt;/script&gt;", "\\u003Cscript\\u003Ealert(1)\\u003C/script\\u003E"]


def hostile(label: str) -> str:
    return f"{label} {PAYLOAD}"


@pytest.fixture
def hostile_data():
    """Two cities in a network, coded with evidence, every free-text field carrying the payload."""
    source = SourceFactory(
        label=hostile("Source"), citation=hostile("Citation"), organisation=hostile("Org"), informant_role=PAYLOAD
    )
    network = NetworkFactory(
        name=hostile("Net"),
        slug="net",
        acronym=SCRIPT,
        description=hostile("About"),
        governance=PAYLOAD,
        membership_criteria=PAYLOAD,
        region=PAYLOAD[:100],
        funder=PAYLOAD,
    )
    cities = [CityFactory(name=hostile(name), slug=name.lower(), coordinates_note=PAYLOAD) for name in ("A", "B")]
    codes = [
        CodeFactory(code=slug, name=hostile(slug), kind=kind, definition=PAYLOAD, example=PAYLOAD)
        for slug, kind in (
            ("knowledge", Code.Kind.FUNCTION),
            ("consequences", Code.Kind.LOGIC),
            ("appropriateness", Code.Kind.LOGIC),
        )
    ]
    subnetwork = SubNetworkFactory(network=network, name=hostile("Forum"), description=PAYLOAD)
    for city in cities:
        coder = CoderFactory(name=hostile(f"Coder {city.slug}"), description=PAYLOAD)
        MembershipFactory(city=city, network=network, source=source, note=PAYLOAD)
        ParticipationFactory(city=city, network=network, subnetwork=subnetwork, unit=hostile("Unit"), note=PAYLOAD)
        EngagementObservationFactory(city=city, network=network, source=source, note=PAYLOAD)
        for code in codes:
            coding = CodingFactory(city=city, network=network, code=code, note=PAYLOAD, coder=coder)
            EvidenceFactory(coding=coding, source=source, text=hostile("Said"), original_text=PAYLOAD, locator=SCRIPT)
    return {"network": network, "cities": cities, "source": source, "codes": codes, "subnetwork": subnetwork}


def assert_escaped(response):
    assert response.status_code == 200
    page = response.content.decode()
    assert [live for live in LIVE if live in page] == []
    assert any(shown in page for shown in SHOWN), "the page does not show the hostile text at all"


PAGES = [
    "/",
    "/search/?q=Said",
    "/search/?q=Net",
    "/search/?q=A",
    "/cities/",
    "/cities/a/",
    "/networks/",
    "/networks/net/",
    "/compare/?network=net&city=a&city=b",
    "/compare/cities/?a=a&b=b",
    "/logics/",
    "/graph/?q=Net",
    "/map/",
    "/api/v1/codings/?format=api",
]


@pytest.mark.parametrize("url", PAGES)
def test_pages_show_hostile_text_escaped(client, hostile_data, url):
    assert_escaped(client.get(url))


def test_search_echoes_a_hostile_query_escaped(client, hostile_data):
    assert_escaped(client.get("/search/", {"q": SCRIPT}))
    assert_escaped(client.get("/cities/", {"q": SCRIPT}))


def test_figure_json_cannot_close_its_script_element(client, hostile_data):
    page = client.get("/compare/?network=net&city=a&city=b").content.decode()
    figures = page.split('type="application/json">')[1:]
    assert figures
    for figure in figures:
        data = figure.split("</script>")[0]
        json.loads(data)  # the whole element is JSON: nothing broke out of it
        assert "<" not in data


ADMIN_PAGES = {
    "cities/city": lambda data: data["cities"][0].pk,
    "networks/network": lambda data: data["network"].pk,
    "networks/source": lambda data: data["source"].pk,
    "networks/membership": lambda data: data["network"].memberships.first().pk,
    "networks/subnetwork": lambda data: data["subnetwork"].pk,
    "networks/participation": lambda data: data["network"].participations.first().pk,
    "networks/code": lambda data: data["codes"][0].pk,
    "networks/coding": lambda data: data["network"].codings.first().pk,
    "networks/evidence": lambda data: data["network"].codings.first().evidence.first().pk,
    "networks/engagementobservation": lambda data: data["network"].engagement_observations.first().pk,
}


@pytest.mark.parametrize("model", ADMIN_PAGES)
# Not "page": that name is pytest-playwright's browser page, and would make these browser tests.
@pytest.mark.parametrize("view", ["", "{pk}/change/", "{pk}/delete/", "{pk}/history/"])
def test_admin_pages_show_hostile_text_escaped(staff_client, hostile_data, model, view):
    url = f"/admin/{model}/" + view.format(pk=ADMIN_PAGES[model](hostile_data))
    assert_escaped(staff_client.get(url))


# --- CSV ----------------------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(1)", "+SUM(1)", "-2+3", "@cmd"]


@pytest.fixture
def formula_data():
    """Text that a spreadsheet would run: in a city's, a network's and a code's name and in a quote."""
    network = NetworkFactory(name=FORMULAS[1], slug="net")
    city = CityFactory(name=FORMULAS[0], slug="a")
    code = CodeFactory(code="knowledge", name=FORMULAS[3])
    source = SourceFactory(label=FORMULAS[3])
    MembershipFactory(city=city, network=network, source=source, note=FORMULAS[2])
    EvidenceFactory(coding=CodingFactory(city=city, network=network, code=code), source=source, text=FORMULAS[2])
    return city


def cells(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return [cell for row in csv.reader(lines) for cell in row]


def assert_neutralised(text: str):
    found = cells(text)
    assert [cell for cell in found if cell.startswith(("=", "+", "-", "@"))] == []
    assert any(cell.startswith("'") and cell[1:] in FORMULAS for cell in found), "no formula-like cell in the CSV"


@pytest.mark.parametrize("url", ["/api/v1/memberships/?format=csv", "/api/v1/codings/?format=csv"])
def test_api_csv_neutralises_formulas(client, formula_data, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_neutralised(b"".join(response.streaming_content).decode())


@pytest.mark.parametrize(
    "url",
    [
        "/cities/a/?format=csv&chart=portfolio",
        "/networks/net/?format=csv&chart=members",
        "/compare/?network=net&format=csv&chart=matrix",
        "/map/?format=csv",
    ],
)
def test_page_chart_csv_neutralises_formulas(client, formula_data, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_neutralised(response.content.decode())


@pytest.mark.xfail(
    strict=True,
    reason="cities/resources.py CitynetResource.export_resource (the admin's CSV and Excel export) does not "
    "neutralise formulas; reported to its owner. Remove this marker once it does.",
)
def test_admin_export_neutralises_formulas(formula_data):
    exported = CSV().export_data(CityResource().export())
    assert_neutralised(exported if isinstance(exported, str) else exported.decode())


def test_csv_reader_helper_sees_formulas():
    # Guards the xfail tests above: they fail because of formulas, not because the helper is broken.
    with pytest.raises(AssertionError):
        assert_neutralised(io.StringIO('"=HYPERLINK(1)"\r\n').getvalue())
