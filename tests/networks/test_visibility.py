"""Evidence visibility (networks.visibility) on every page, API response and download.

One coding holds a public quote, a paraphrase-only item and a restricted item; more
restricted items sit in a second coder's coding, a logic coding and the network's own
coding. Everything a reader may not see contains SECRET. Anonymous visitors and read-only
staff must never get SECRET, must get the public paraphrase instead of the verbatim text,
and must see the same counts as editors and superusers, who read every text verbatim.
"""

import csv
import datetime
import io
import uuid
import zipfile

import openpyxl
import pytest
from django.core.management import call_command

from citynet import caching
from networks.models import Code
from networks.models import Coding
from networks.models import Evidence
from networks.models import Source
from networks.research.refi import schema_errors
from networks.research.releases import build_release
from networks.services import EDITOR
from networks.services import READ_ONLY_STAFF
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import SourceFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PUBLIC_TEXT = "PUBLIC-QUOTE exchange of experience"
PARAPHRASE = "PARAPHRASE-SHOWN the city learns from its peers"
VERBATIM = "SECRET-VERBATIM we only joined for the money"
RESTRICTED = "SECRET-RESTRICTED confidential words of the mayor"
MASKED = ["anonymous", "read-only staff"]
VERBATIM_READERS = ["editor", "superuser"]
READERS = MASKED + VERBATIM_READERS


@pytest.fixture
def world(write_targets):
    """Oslo in Eurocities (`write_targets`), coded by two coders, with evidence of every visibility."""
    oslo, eurocities = write_targets["city"], write_targets["network"]
    knowledge, seed = write_targets["code"], write_targets["coder"]
    appropriateness = CodeFactory(code="appropriateness", name="Appropriateness", kind=Code.Kind.LOGIC, position=1)
    MembershipFactory(city=oslo, network=eurocities)
    second = CoderFactory(name="Second coder")
    study = SourceFactory(kind=Source.Kind.STUDY, label="Study 2018", citation="Authors (2018). The study.")
    interview = SourceFactory(
        kind=Source.Kind.INTERVIEW,
        label="Interview 3",
        citation="Interview 3, Oslo.",
        part_of=study,
        interview_number=3,
    )
    coding = CodingFactory(city=oslo, network=eurocities, code=knowledge, salience=3, coder=seed)
    EvidenceFactory(
        coding=coding,
        source=study,
        kind=Evidence.Kind.QUOTE,
        text=PUBLIC_TEXT,
        original_text="PUBLIC-ORIGINAL utveksling",
        language="no",
        locator="p. 1",
        position=0,
    )
    EvidenceFactory(
        coding=coding,
        source=interview,
        kind=Evidence.Kind.QUOTE,
        visibility=Evidence.Visibility.PARAPHRASE_ONLY,
        text=VERBATIM,
        original_text="SECRET-ORIGINAL vi ble med for pengene",
        language="no",
        public_paraphrase=PARAPHRASE,
        locator="p. 2",
        position=1,
    )
    EvidenceFactory(
        coding=coding,
        source=interview,
        kind=Evidence.Kind.QUOTE,
        visibility=Evidence.Visibility.RESTRICTED,
        text=RESTRICTED,
        original_text="SECRET-RESTRICTED-ORIGINAL",
        public_paraphrase="SECRET-RESTRICTED-PARAPHRASE",
        locator="SECRET-LOCATOR 12:30",
        position=2,
    )
    second_coding = CodingFactory(city=oslo, network=eurocities, code=knowledge, salience=1, coder=second)
    logic = CodingFactory(city=oslo, network=eurocities, code=appropriateness, salience=2, coder=seed)
    own = CodingFactory(
        city=None, network=eurocities, code=knowledge, perspective=Coding.Perspective.NETWORK, coder=seed
    )
    for where, text in [
        (second_coding, "SECRET-SECOND confidential"),
        (logic, "SECRET-LOGIC confidential"),
        (own, "SECRET-OWN confidential"),
    ]:
        EvidenceFactory(
            coding=where,
            source=interview,
            kind=Evidence.Kind.QUOTE,
            text=text,
            visibility=Evidence.Visibility.RESTRICTED,
        )
    return {"coding": coding, "second": second_coding, "logic": logic, "own": own}


def sign_in(client, who: str):
    """The test client as `who`: one of READERS."""
    if who == "anonymous":
        return client
    role = who if who in (EDITOR, READ_ONLY_STAFF) else None
    client.force_login(UserFactory(is_staff=True, is_superuser=who == "superuser", role=role))
    return client


def text_of(response) -> str:
    """Everything a response carries, as text: a page, a (streamed) CSV, a workbook's cells,
    or each file in a zip."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] != b"PK":
        return content.decode("utf-8-sig")
    if "spreadsheetml" in response["Content-Type"]:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(cell) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for cell in row
        )
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())


# Everything that shows or exports the Oslo coding's evidence text.
WITH_TEXT = [
    "/cities/oslo/",
    "/networks/eurocities/",
    "/compare/?network=eurocities",
    "/compare/?network=eurocities&format=csv&chart=matrix",
    "/compare/cities/?a=oslo&b=bergen",
    "/compare/cities/?a=oslo&b=bergen&format=csv&chart=pair",
    "/quotes/",
    "/quotes/?format=csv",
    "/quotes/?format=xlsx",
    "/agreement/?network=eurocities",
    "/export/project.qdpx",
    "/api/v1/codings/",
    "/api/v1/codings/?format=csv",
    "/api/v1/evidence/",
    "/api/v1/evidence/?format=csv",
    "/api/v1/matrix/?network=eurocities",
    "/api/v1/matrix/?network=eurocities&format=csv",
    "/api/v1/agreement/?network=eurocities",
]
# Everything else that reads the evidence: counts, logics, portfolios.
WITHOUT_OSLO_TEXT = [
    "/logics/?network=eurocities",
    "/logics/?network=eurocities&format=csv",
    "/networks/eurocities/?format=csv&chart=offers",
    "/cities/oslo/?format=csv&chart=portfolio",
    "/agreement/?network=eurocities&format=csv",
    "/api/v1/agreement/?network=eurocities&format=csv",
    "/api/v1/cities/oslo/portfolio/",
    "/api/v1/cities/oslo/portfolio/?format=csv",
    "/api/v1/evidence/facets/?dimension=kind",
    "/api/v1/codings/facets/?dimension=code",
]


@pytest.mark.parametrize("url", WITH_TEXT + WITHOUT_OSLO_TEXT)
@pytest.mark.parametrize("who", MASKED)
def test_readers_without_the_permission_never_get_restricted_or_verbatim_text(client, world, who, url):
    response = sign_in(client, who).get(url)

    assert response.status_code == 200
    assert "SECRET" not in text_of(response)


@pytest.mark.parametrize("url", WITH_TEXT)
@pytest.mark.parametrize("who", MASKED)
def test_readers_without_the_permission_get_the_public_paraphrase_instead(client, world, who, url):
    assert PARAPHRASE in text_of(sign_in(client, who).get(url))


@pytest.mark.parametrize("url", WITH_TEXT)
@pytest.mark.parametrize("who", VERBATIM_READERS)
def test_editors_and_superusers_read_every_text_verbatim(client, world, who, url):
    text = text_of(sign_in(client, who).get(url))

    assert RESTRICTED in text
    assert VERBATIM in text
    assert PUBLIC_TEXT in text


# Pages where each evidence item unfolds to its original text and full citation.
UNFOLDING = [
    "/cities/oslo/",
    "/networks/eurocities/",
    "/compare/?network=eurocities",
    "/compare/cities/?a=oslo&b=bergen",
]


@pytest.mark.parametrize("url", UNFOLDING)
@pytest.mark.parametrize("who", READERS)
def test_evidence_unfolds_to_the_original_text_and_citation_only_as_the_reader_may_see_them(client, world, who, url):
    page = text_of(sign_in(client, who).get(url))

    assert 'lang="no"><q>PUBLIC-ORIGINAL utveksling</q>' in page
    assert '<p class="full-citation">Interview 3, Oslo., p. 2' in page
    assert ("SECRET-ORIGINAL vi ble med for pengene" in page) == (who in VERBATIM_READERS)
    assert ("SECRET-RESTRICTED-ORIGINAL" in page) == (who in VERBATIM_READERS)
    assert ("SECRET-LOCATOR" in page) == (who in VERBATIM_READERS)


@pytest.mark.parametrize("url", ["/cities/oslo/", "/compare/?network=eurocities", "/quotes/", "/logics/"])
def test_pages_say_where_restricted_evidence_is(client, world, url):
    page = client.get(url).content.decode()

    assert "Restricted evidence: its text is not public." in page
    assert "paraphrase only" in page or url == "/logics/"


def test_api_evidence_shows_each_visibility_as_the_public_may_see_it(client, world):
    coding = client.get(f"/api/v1/codings/{world['coding'].pk}/").json()
    shown = ["kind", "text", "original_text", "public_paraphrase", "locator", "citation"]

    assert [{name: item[name] for name in ["visibility", *shown]} for item in coding["evidence"]] == [
        {
            "visibility": "public",
            "kind": "quote",
            "text": PUBLIC_TEXT,
            "original_text": "PUBLIC-ORIGINAL utveksling",
            "public_paraphrase": "",
            "locator": "p. 1",
            "citation": "Study 2018, p. 1",
        },
        {
            "visibility": "paraphrase",
            "kind": "paraphrase",
            "text": PARAPHRASE,
            "original_text": "",
            "public_paraphrase": PARAPHRASE,
            "locator": "p. 2",
            "citation": "Interview 3, p. 2",
        },
        {
            "visibility": "restricted",
            "kind": "quote",
            "text": "",
            "original_text": "",
            "public_paraphrase": "",
            "locator": "",
            "citation": "Interview 3",
        },
    ]


def test_the_matrix_csv_names_restricted_evidence_without_its_text(client, world):
    text = text_of(client.get("/api/v1/matrix/?network=eurocities&format=csv"))

    assert "[Restricted evidence] (Interview 3)" in text


def test_searching_never_finds_words_of_evidence_the_reader_may_not_read(client, world):
    editor = sign_in(client.__class__(), "editor")

    assert client.get("/api/v1/codings/?search=confidential").json()["count"] == 0
    assert client.get("/api/v1/evidence/?search=confidential").json()["count"] == 0
    assert client.get("/api/v1/codings/?search=PARAPHRASE-SHOWN").json()["count"] == 1
    assert "0 codings" in client.get("/search/?q=confidential").content.decode()
    assert editor.get("/api/v1/codings/?search=confidential").json()["count"] == 4
    assert editor.get("/api/v1/evidence/?search=confidential").json()["count"] == 4
    # The editor finds it, with the matched word marked.
    assert (
        RESTRICTED.replace("confidential", "<mark>confidential</mark>")
        in editor.get("/search/?q=confidential").content.decode()
    )


def test_filters_and_facets_use_the_kind_the_reader_is_shown(client, world):
    facets = client.get("/api/v1/evidence/facets/?dimension=kind").json()["facets"]

    # Every item is stored as a quote; the paraphrase-only one is shown as a paraphrase.
    assert facets == [{"value": "quote", "count": 5}, {"value": "paraphrase", "count": 1}]
    assert client.get("/api/v1/evidence/?kind=paraphrase").json()["count"] == 1
    assert client.get("/api/v1/codings/?evidence_kind=paraphrase").json()["count"] == 1
    assert client.get("/api/v1/evidence/?visibility=restricted").json()["count"] == 4


@pytest.mark.parametrize("who", READERS)
def test_every_reader_counts_the_same_evidence(client, world, who):
    reader = sign_in(client, who)
    codings = {coding["id"]: len(coding["evidence"]) for coding in reader.get("/api/v1/codings/").json()["results"]}
    coding_csv = {row["id"]: row["evidence_count"] for row in csv_rows(reader.get("/api/v1/codings/?format=csv"))}
    matrix = reader.get("/api/v1/matrix/?network=eurocities").json()["rows"][0]["cells"]
    matrix_csv = csv_rows(reader.get("/api/v1/matrix/?network=eurocities&format=csv"))

    assert codings == {world["coding"].pk: 3, world["second"].pk: 1, world["logic"].pk: 1, world["own"].pk: 1}
    assert coding_csv == {str(pk): str(count) for pk, count in codings.items()}
    assert matrix["knowledge"]["evidence_count"] == 4 and matrix["appropriateness"]["evidence_count"] == 1
    assert [row["evidence_count"] for row in matrix_csv] == ["4", "1"]
    assert reader.get("/api/v1/evidence/").json()["count"] == 6
    assert "6 items" in reader.get("/quotes/").content.decode()
    assert "4 evidence" in reader.get("/compare/?network=eurocities").content.decode()


def csv_rows(response) -> list[dict]:
    lines = text_of(response).splitlines()
    return list(csv.DictReader(line for line in lines if not line.startswith("#")))


@pytest.mark.parametrize("who", VERBATIM_READERS)
def test_pages_built_for_permitted_readers_never_reach_the_shared_cache(client, world, who, monkeypatch):
    version = uuid.uuid4().hex  # this test's own: no other test finds its pages
    monkeypatch.setattr(caching, "data_version", lambda: caching.Version(version, None))
    anonymous = client.__class__()
    permitted = sign_in(client, who)

    assert RESTRICTED in permitted.get("/cities/oslo/").content.decode()  # built first, not stored
    assert "SECRET" not in anonymous.get("/cities/oslo/").content.decode()  # stored for everyone
    assert RESTRICTED in permitted.get("/cities/oslo/").content.decode()  # not served from the cache
    for url in ["/networks/eurocities/", "/compare/?network=eurocities", "/logics/", "/api/v1/matrix/"]:
        assert "SECRET" in permitted.get(url).content.decode()
        assert "SECRET" not in anonymous.get(url).content.decode()
        assert "SECRET" in permitted.get(url).content.decode()


@pytest.mark.parametrize("n_items", [1, 12])
def test_masking_adds_no_query_per_item(client, world, django_assert_num_queries, n_items):
    for number in range(n_items):
        visibility = [Evidence.Visibility.RESTRICTED, Evidence.Visibility.PARAPHRASE_ONLY][number % 2]
        EvidenceFactory(coding=world["coding"], visibility=visibility, public_paraphrase=f"Paraphrase {number}.")
    # Codings (count, the page's ids, the page), their evidence with its sources, the attribution's
    # studies, the newest release.
    with django_assert_num_queries(6):
        assert client.get("/api/v1/codings/").status_code == 200
    # Evidence (count, the page's ids, the page), the attribution's studies, the newest release.
    with django_assert_num_queries(5):
        assert client.get("/api/v1/evidence/").status_code == 200


def test_the_data_release_is_public(world, tmp_path):
    built = build_release(label="test", released=datetime.date(2025, 3, 1), directory=tmp_path)
    with zipfile.ZipFile(built["zip"]) as archive:
        names = archive.namelist()
        everything = "\n".join(archive.read(name).decode("utf-8") for name in names)
        evidence_csv = next(name for name in names if name.endswith("evidence.csv"))
        rows = list(csv.DictReader(io.StringIO(archive.read(evidence_csv).decode("utf-8"))))

    assert "SECRET" not in everything
    assert built["counts"]["evidence"] == 6
    assert {row["visibility"]: row["text"] for row in rows if row["coding_id"] == str(world["coding"].pk)} == {
        "public": PUBLIC_TEXT,
        "paraphrase": PARAPHRASE,
        "restricted": "",
    }


def test_the_qdpx_download_stays_valid_with_restricted_evidence(client, world):
    content = client.get("/export/project.qdpx").content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        project = archive.read("project.qde")

    assert schema_errors(project, schema="project") == []
    assert b"6 evidence passages" in project


def test_export_qdpx_masks_unless_told_to_include_restricted_evidence(world, tmp_path):
    masked, full = tmp_path / "masked.qdpx", tmp_path / "full.qdpx"
    call_command("export_qdpx", "-o", str(masked), stdout=io.StringIO())
    call_command("export_qdpx", "-o", str(full), "--include-restricted", stdout=io.StringIO())

    def texts(path):
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())

    assert "SECRET" not in texts(masked) and PARAPHRASE in texts(masked)
    assert RESTRICTED in texts(full) and VERBATIM in texts(full)
