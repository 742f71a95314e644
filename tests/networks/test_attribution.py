"""The studies a matrix's evidence cites, found without reading every evidence item (issue 15)."""

import pytest

from networks.models import Evidence
from networks.selectors import studies_attribution
from networks.selectors import studies_cited
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def studies():
    """Two studies (B before A in citation order), an interview reported by A, a document."""
    b = SourceFactory(kind="study", citation="Bakke (2019). Networks.")
    a = SourceFactory(kind="study", citation="Aalto (2020). Cities.")
    interview = SourceFactory(kind="interview", part_of=b, interview_number=1, citation="Interview 1 in Bakke")
    return {"a": a, "b": b, "interview": interview, "document": SourceFactory()}


def cited(evidence):
    return studies_cited(evidence), studies_attribution(evidence.values("source"))


def test_a_study_is_cited_through_its_interview_as_through_itself(studies):
    oslo = CodingFactory(network__slug="eurocities", city__slug="oslo")
    EvidenceFactory(coding=oslo, source=studies["interview"])
    EvidenceFactory(coding=oslo, source=studies["document"])
    new, old = cited(Evidence.objects.filter(coding__network__slug="eurocities"))
    assert new == old == ["Study: Bakke (2019). Networks."]


def test_studies_come_in_citation_order_and_only_those_the_evidence_cites(studies):
    oslo = CodingFactory(network__slug="eurocities", city__slug="oslo")
    vejle = CodingFactory(network__slug="100rc", city__slug="vejle")
    EvidenceFactory(coding=oslo, source=studies["interview"])
    EvidenceFactory(coding=oslo, source=studies["a"])
    EvidenceFactory(coding=vejle, source=studies["document"])
    assert cited(Evidence.objects.all())[0] == ["Study: Aalto (2020). Cities.", "Study: Bakke (2019). Networks."]
    assert cited(Evidence.objects.filter(coding__network__slug="100rc")) == ([], [])


def test_no_study_held_asks_nothing_of_the_evidence(django_assert_num_queries):
    EvidenceFactory()
    # The studies and their parts only: with none, the evidence is not read.
    with django_assert_num_queries(1):
        assert studies_cited(Evidence.objects.all()) == []
