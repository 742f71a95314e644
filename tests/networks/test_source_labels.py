"""A source is named alike on every page, CSV download and API response (`source_label`): an
interview the study cites as "Informant 2" reads "Interview 2, 2018" everywhere, and its own
wording survives only in the fold, as "Cited as"."""

import csv
import io

import pytest

from networks.models.sources import source_label
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CodingFactory
from tests.factories import EngagementObservationFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import ParticipationFactory
from tests.factories import SourceFactory


def test_an_interview_is_named_by_its_number_and_year_whatever_the_study_calls_it():
    assert source_label("interview", "Informant 2, 2018", "Interview 2 (Oslo).", 2, 2018) == "Interview 2, 2018"
    assert source_label("interview", "Informant 2", "Interview 2 (Oslo).", 2, None) == "Interview 2"


def test_any_other_source_is_named_by_its_label_or_the_start_of_its_citation():
    assert source_label("document", "Eurocities 2019", "Eurocities (2019). Annual report.", None, 2019) == (
        "Eurocities 2019"
    )
    assert source_label("interview", "Informant 9", "Interview (unnumbered).", None, 2018) == "Informant 9"
    assert source_label("webpage", "", "x" * 120, None, None) == "x" * 80


@pytest.fixture
def oslo(db):
    """Oslo in Eurocities, with a coding, an engagement observation and a participation, each
    resting on an interview the study cites as "Informant 2"."""
    network = NetworkFactory(name="Eurocities", slug="eurocities")
    informant = SourceFactory(
        kind="interview",
        label="Informant 2, 2018",
        interview_number=2,
        year=2018,
        citation='Interview 2, 2018 (Oslo). Cited in the study as "Informant 2".',
    )
    city = CityFactory(name="Oslo", slug="oslo")
    MembershipFactory(city=city, network=network)
    coding = CodingFactory(city=city, network=network, code=CodeFactory(code="knowledge", name="Knowledge sharing"))
    EvidenceFactory(coding=coding, source=informant, locator="p. 67", kind="quote", text="We learn a lot.")
    EngagementObservationFactory(city=city, network=network, source=informant, locator="p. 68")
    ParticipationFactory(city=city, network=network, source=informant, locator="p. 67")
    return city


def csv_rows(response) -> list[dict]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    lines = [line for line in content.decode().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


PAGES = [
    "/cities/oslo/",
    "/networks/eurocities/",
    "/compare/?network=eurocities&city=oslo",
    "/quotes/",
    "/search/?q=learn",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_name_the_interview_by_number_and_keep_the_studys_wording_only_as_cited_as(client, oslo, path):
    html = client.get(path).content.decode()
    assert "Interview 2, 2018" in html
    assert html.count("Informant 2, 2018") == html.count("Cited as: Informant 2, 2018")


# (address, column) of every CSV that names the source of an evidence item, observation or participation.
DOWNLOADS = [
    ("/cities/oslo/?format=csv&chart=engagement", "source"),
    ("/api/v1/evidence/?format=csv", "source_label"),
    ("/api/v1/engagement/?format=csv", "source_label"),
    ("/api/v1/participations/?format=csv", "source_label"),
    ("/api/v1/matrix/?network=eurocities&format=csv", "evidence"),
]


@pytest.mark.parametrize(("path", "column"), DOWNLOADS)
def test_csv_downloads_name_the_source_as_the_pages_do(client, oslo, path, column):
    (row,) = csv_rows(client.get(path))
    assert row[column].startswith("Interview 2, 2018") or "(Interview 2, 2018, p. 67)" in row[column]
    assert "Informant" not in row[column]


@pytest.mark.parametrize("resource", ["evidence", "engagement", "participations"])
def test_the_api_names_the_source_as_the_pages_do(client, oslo, resource):
    (row,) = client.get(f"/api/v1/{resource}/").json()["results"]
    assert row["source_label"] == "Interview 2, 2018"
