"""Where coders differ, the agreement page unfolds each evidence item to its original text and
full citation, as on the quote table and city pages, and only as the reader may see them."""

import pytest
from django.urls import reverse

from networks.models import Evidence
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def disputed():
    """Oslo's knowledge sharing in Eurocities rated 3 by one coder and 1 by another; the first
    rests on a public quote with its Danish original, and on restricted evidence."""
    network = NetworkFactory(name="Eurocities", slug="eurocities")
    oslo = CityFactory(name="Oslo", slug="oslo")
    knowledge = CodeFactory(code="knowledge", name="Knowledge sharing")
    informant = SourceFactory(
        kind="interview",
        label="Informant 2, 2018",
        interview_number=2,
        year=2018,
        citation='Interview 2, 2018 (Oslo). Cited in the study as "Informant 2".',
        url="https://example.org/study",
    )
    first = CodingFactory(city=oslo, network=network, code=knowledge, salience=3, coder=CoderFactory(name="First"))
    CodingFactory(city=oslo, network=network, code=knowledge, salience=1, coder=CoderFactory(name="Second"))
    EvidenceFactory(
        coding=first,
        source=informant,
        locator="p. 67",
        kind=Evidence.Kind.QUOTE,
        text="Exchange of experience",
        original_text="Erfaringsudveksling",
        language="da",
        position=0,
    )
    EvidenceFactory(
        coding=first,
        source=informant,
        locator="SECRET-LOCATOR 12:30",
        kind=Evidence.Kind.QUOTE,
        visibility=Evidence.Visibility.RESTRICTED,
        text="SECRET-TEXT",
        original_text="SECRET-ORIGINAL",
        language="da",
        position=1,
    )


def disagreements_html(client) -> str:
    html = client.get(reverse("networks:agreement"), {"network": "eurocities"}).content.decode()
    return html.split('id="disagreements"')[1].split("</section>")[0]


def test_each_item_names_its_source_as_everywhere_and_unfolds_to_original_and_full_citation(client, disputed):
    html = disagreements_html(client)

    assert '<details class="evidence-source"><summary><cite>Interview 2, 2018, p. 67</cite>' in html
    assert '<p class="original" lang="da"><q>Erfaringsudveksling</q></p>' in html
    assert (
        '<p class="full-citation">Interview 2, 2018 (Oslo). Cited in the study as &quot;Informant 2&quot;., p. 67 '
        '<a href="https://example.org/study" rel="noopener">link</a><br><small>Cited as: Informant 2, 2018</small>'
    ) in html


def test_restricted_evidence_unfolds_to_nothing_the_public_may_not_read(client, disputed):
    html = disagreements_html(client)

    assert "Restricted evidence: its text is not public." in html
    assert "SECRET" not in html


def test_an_editor_unfolds_restricted_evidence_to_its_original_and_locator(client, disputed):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = disagreements_html(client)

    assert '<p class="original" lang="da"><q>SECRET-ORIGINAL</q></p>' in html
    assert "<cite>Interview 2, 2018, SECRET-LOCATOR 12:30</cite>" in html


def test_the_agreement_endpoint_gives_each_item_the_same_details_as_the_reader_may_see_them(client, disputed):
    (unit,) = client.get("/api/v1/agreement/?network=eurocities").json()["disagreements"]
    public, restricted = next(side for side in unit["sides"] if side["coder"] == "First")["evidence"]

    assert (public["original_text"], public["language"], public["locator"]) == ("Erfaringsudveksling", "da", "p. 67")
    assert public["source_detail"]["short_label"] == "Interview 2, 2018"
    assert (restricted["text"], restricted["original_text"], restricted["locator"]) == ("", "", "")
