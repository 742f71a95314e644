"""'Cite this view': the citation on every page, in every API list and aggregate, and in CSV."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from networks.models import Release
from networks.models import Source
from networks.research.citations import UNRELEASED
from networks.research.citations import cite_view
from networks.research.citations import permalink
from tests.factories import CityFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory

STUDY = "Solveig Grønnestad and Anne Bach Nielsen (2018). Urbane forbindelser_ 100% & more."


@pytest.fixture
def study(db):
    source = Source.objects.create(kind=Source.Kind.STUDY, label="Grønnestad and Nielsen 2018", citation=STUDY)
    network = NetworkFactory(slug="eurocities", name="Eurocities")
    EvidenceFactory(coding=CodingFactory(city=CityFactory(slug="oslo"), network=network), source=source)
    MembershipFactory(network=network)
    return source


def release(label="2025.1", released=datetime.date(2025, 3, 1)) -> Release:
    return Release.objects.create(
        label=label, released=released, zip_path=f"/nowhere/citynet-{label}.zip", zip_sha256="0" * 64
    )


def textarea(html: str, name: str) -> str:
    return unescape(re.search(rf'<textarea id="cite-{name}"[^>]*>(.*?)</textarea>', html, re.S).group(1))


# --- Pure parts --------------------------------------------------------------------------


def test_permalink_drops_format_and_paging_but_keeps_the_filters_in_order():
    url = "https://citynet.example/quotes/?network=eurocities&page=2&format=csv&city=oslo&page_size=10#top"

    assert permalink(url) == "https://citynet.example/quotes/?network=eurocities&city=oslo"


def test_citation_of_a_release_names_it_the_permalink_the_access_date_and_the_sources():
    citation = cite_view(
        url="https://citynet.example/compare/?network=eurocities&format=csv",
        release=("2025.1", datetime.date(2025, 3, 1)),
        accessed=datetime.date(2026, 11, 26),
        sources=[f"Study: {STUDY}", "Contains data from GeoNames (https://www.geonames.org/), licensed CC BY 4.0."],
    )

    assert citation["release"] == "2025.1"
    assert citation["apa"].startswith(
        "Citynet contributors. (2025). Citynet: cities in international city networks (Release 2025.1) [Data set]. "
        "Retrieved November 26, 2026, from https://citynet.example/compare/?network=eurocities\nOriginal sources: "
    )
    assert "GeoNames" in citation["apa"] and "*" not in citation["apa"]
    bibtex = citation["bibtex"]
    assert bibtex.startswith("@misc{citynet_2025_1,") and bibtex.endswith("}")
    assert "version = {2025.1}" in bibtex
    assert "howpublished = {\\url{https://citynet.example/compare/?network=eurocities}}" in bibtex
    assert "urldate = {2026-11-26}" in bibtex
    assert "forbindelser\\_ 100\\% \\& more." in bibtex  # LaTeX's special characters escaped


def test_citation_without_a_release_says_unreleased_working_data():
    citation = cite_view(url="https://x.example/", release=None, accessed=datetime.date(2026, 11, 26), sources=[])

    assert citation["release"] == UNRELEASED
    assert "(unreleased working data) [Data set]" in citation["apa"]
    assert "version = {unreleased working data}" in citation["bibtex"]
    assert "Original sources" not in citation["apa"]


# --- Pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/networks/",
        "/networks/eurocities/",
        "/compare/",
        "/logics/",
        "/graph/",
        "/map/",
        "/quotes/",
        "/agreement/",
        "/releases/",
        "/cities/",
        "/cities/oslo/",
        "/search/?q=oslo",
    ],
)
def test_every_page_offers_its_citation_in_apa_and_bibtex(client, study, url):
    html = client.get(url).content.decode()

    assert '<details class="cite" id="cite">' in html
    apa, bibtex = textarea(html, "apa"), textarea(html, "bibtex")
    assert "Citynet contributors" in apa and "unreleased working data" in apa
    assert f"http://testserver{url}" in apa
    assert f"Retrieved {timezone.localdate():%B}" in apa
    assert bibtex.startswith("@misc{citynet_unreleased_")


def test_page_citation_names_the_newest_release_once_one_is_made(client, study):
    assert "unreleased working data" in textarea(client.get("/compare/").content.decode(), "apa")
    release("2024.2", datetime.date(2024, 11, 1))
    release("2025.1", datetime.date(2025, 3, 1))

    html = client.get("/compare/?network=eurocities").content.decode()

    apa = textarea(html, "apa")
    assert "(Release 2025.1) [Data set]" in apa and "unreleased" not in apa
    assert "from http://testserver/compare/?network=eurocities" in apa
    assert "version = {2025.1}" in textarea(html, "bibtex")
    assert 'href="/releases/#release-2025.1"' in html


def test_page_citation_names_the_sources_of_what_the_page_shows(client, study):
    compare = textarea(client.get("/compare/").content.decode(), "apa")
    graph = textarea(client.get("/graph/").content.decode(), "apa")

    assert STUDY in compare and "GeoNames" in compare and "Membership lists" not in compare
    assert STUDY not in graph and "GeoNames" in graph and "Membership lists: sources named per row." in graph


def test_the_citation_has_no_inline_script(client, study):
    html = client.get("/quotes/").content.decode()
    cite = html[html.index('<details class="cite"') : html.index("</details>", html.index('<details class="cite"'))]

    assert "<script" not in cite and " on" not in cite.replace(" only", "")


def test_admin_pages_run_no_citation_queries(staff_client):
    # The citation is lazy: the admin's templates never show it, so it never queries.
    with CaptureQueriesContext(connection) as queries:
        assert staff_client.get("/admin/").status_code == 200

    assert not [query for query in queries.captured_queries if "networks_release" in query["sql"]]


# --- API and CSV -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/codings/",
        "/api/v1/cities/",
        "/api/v1/memberships/",
        "/api/v1/evidence/",
        "/api/v1/releases/",
        "/api/v1/codings/facets/?dimension=code",
        "/api/v1/matrix/?network=eurocities",
        "/api/v1/agreement/?network=eurocities",
        "/api/v1/cities/oslo/portfolio/",
    ],
)
def test_every_api_list_and_aggregate_has_a_citation_beside_its_attribution(client, study, url):
    before = client.get(url).json()
    release()
    after = client.get(url + ("&" if "?" in url else "?") + "page=1").json()

    keys = list(after)
    assert keys.index("citation") == keys.index("attribution") + 1
    assert before["citation"]["release"] == "unreleased working data"
    assert after["citation"]["release"] == "2025.1"
    assert after["citation"]["permalink"] == "http://testserver" + url
    assert after["citation"]["sources"] == after["attribution"]
    assert after["citation"]["apa"].startswith("Citynet contributors. (2025).")
    assert after["citation"]["bibtex"].startswith("@misc{citynet_2025_1,")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/codings/?format=csv",
        "/api/v1/codings/facets/?dimension=code&format=csv",
        "/api/v1/matrix/?format=csv",
        "/api/v1/agreement/?format=csv",
        "/compare/?format=csv",
        "/quotes/?format=csv",
    ],
)
def test_csv_downloads_say_how_to_cite_them(client, study, url):
    release()
    response = client.get(url)
    content = b"".join(response.streaming_content) if response.streaming else response.content

    comments = [line for line in content.decode().splitlines() if line.startswith("# ")]
    cite = [line for line in comments if line.startswith("# Cite as")]
    assert len(cite) == 2
    assert cite[0].startswith("# Cite as: Citynet contributors. (2025). Citynet: cities in international city networks")
    assert "(Release 2025.1)" in cite[0] and "format=csv" not in cite[0]
    assert cite[1].startswith("# Cite as (BibTeX): @misc{citynet_2025_1,")
