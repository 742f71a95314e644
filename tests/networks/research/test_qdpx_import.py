"""Importing coded REFI-QDA projects: the round trip of Citynet's own export, importing twice,
and projects in the shapes NVivo, ATLAS.ti, MAXQDA and QualCoder write."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from networks.models import Coder
from networks.models import Coding
from networks.models import Evidence
from networks.models import ProjectImportMapping
from networks.models import Source
from networks.research.refi import project_qdpx
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WHEN = datetime.datetime(2024, 3, 1, 12, 0, tzinfo=datetime.UTC)
SOURCE_FIELDS = [
    "citation",
    "label",
    "kind",
    "interview_number",
    "organisation",
    "informant_role",
    "year",
    "url",
    "part_of__citation",
]


def run(tmp_path, data: bytes, *args: str, name: str = "project.qdpx") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    out = StringIO()
    call_command("import_qdpx", str(path), *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    codings = sorted(
        Coding.objects.values_list(
            "city__slug", "network__slug", "code__code", "perspective", "coder__name", "salience", "outcome", "note"
        ),
        key=str,
    )
    evidence = sorted(
        Evidence.objects.values_list(
            "coding__city__slug",
            "coding__code__code",
            "coding__coder__name",
            "source__citation",
            "text",
            "kind",
            "locator",
            "original_text",
            "language",
            "visibility",
        ),
        key=str,
    )
    sources = sorted(Source.objects.values_list(*SOURCE_FIELDS), key=str)
    return {
        "codings": codings,
        "evidence": evidence,
        "sources": sources,
        "coders": sorted(Coder.objects.values_list("name", flat=True)),
    }


@pytest.fixture
def places():
    return {
        "network": NetworkFactory(name="Eurocities", acronym="EC", slug="eurocities"),
        "oslo": CityFactory(name="Oslo", slug="oslo", country="NO"),
        "copenhagen": CityFactory(name="København", slug="kobenhavn", country="DK"),
        "knowledge": CodeFactory(code="knowledge", name="Knowledge sharing", position=1),
        "lobbying": CodeFactory(code="lobbying", name="Lobbying", position=2),
    }


@pytest.fixture
def coded(places):
    """Two coders' codings with interview, document and web page evidence, and the network's own
    coding; the interview has every source field set, and the study it is part of no evidence."""
    study = SourceFactory(
        kind=Source.Kind.STUDY, label="Nordic study (2018)", citation="Nordic cities study, 2018.", year=2018
    )
    interview = SourceFactory(
        kind=Source.Kind.INTERVIEW,
        label="Informant 3, 2018",
        citation="Interview 3 (Oslo).",
        interview_number=3,
        organisation="City of Oslo",
        informant_role="Climate adviser",
        year=2018,
        url="https://example.org/interviews/3",
        part_of=study,
    )
    report = SourceFactory(
        kind=Source.Kind.DOCUMENT,
        label="",
        citation="Eurocities annual report 2019.",
        year=2019,
        url="https://eurocities.eu/report-2019",
    )
    page = SourceFactory(kind=Source.Kind.WEBPAGE, label="Forum page", citation="Eurocities forum web page.")
    anna, ben = CoderFactory(name="Anna"), CoderFactory(name="Ben")
    net = places["network"]
    first = CodingFactory(
        city=places["oslo"], network=net, code=places["knowledge"], salience=3, outcome="met", coder=anna
    )
    first.note = "Clear in two interviews."
    first.coded_at = WHEN
    first.save()
    EvidenceFactory(
        coding=first,
        source=interview,
        text="We learn most from København — ja, really.",
        kind="quote",
        locator="p. 4",
        original_text="Vi lærer mest fra København.",
        language="no",
        visibility="restricted",
    )
    EvidenceFactory(coding=first, source=report, text="Oslo chairs the forum.", kind="paraphrase", locator="")
    second = CodingFactory(
        city=places["copenhagen"], network=net, code=places["lobbying"], salience=1, outcome="", coder=ben
    )
    EvidenceFactory(coding=second, source=report, text="København lobbies in Brussels 🚲.", locator="s. 2")
    EvidenceFactory(coding=second, source=page, text="The forum meets twice a year.", locator="")
    CodingFactory(city=None, network=net, code=places["knowledge"], salience=2, outcome="", coder=anna)
    Coding.objects.update(coded_at=WHEN)
    return places


def citynet_export() -> bytes:
    editor = UserFactory(is_superuser=True)
    return project_qdpx(Coding.objects.for_export(reader=editor), name="Citynet codings")


def empty_citynet() -> None:
    """Citynet without codings, evidence, sources and coders (places, networks and the codebook stay)."""
    Evidence.objects.all().delete()
    Coding.objects.all().delete()
    Source.objects.filter(part_of__isnull=False).delete()  # before the studies they are part of
    Source.objects.all().delete()
    Coder.objects.all().delete()


def test_citynet_export_imported_into_an_empty_citynet_gives_the_same_codings_evidence_sources_and_coders(
    tmp_path, coded
):
    before, archive = snapshot(), citynet_export()
    empty_citynet()

    output = run(tmp_path, archive)

    assert "Schema (REFI-QDA 1.0 Project): valid" in output
    assert snapshot() == before
    assert len(before["sources"]) == 4 and ("Interview 3 (Oslo).", "Informant 3, 2018") in [
        row[:2] for row in before["sources"]
    ]
    assert Coding.objects.get(city__slug="oslo").coded_at == WHEN


def test_codings_not_rated_come_back_not_rated_from_a_citynet_export(tmp_path, coded):
    # One with evidence (written in its selections' Descriptions), one of the network as a whole
    # without any (written in its case's Description).
    Coding.objects.filter(city__slug="kobenhavn").update(salience=None)
    Coding.objects.filter(city=None).update(salience=None)
    before, archive = snapshot(), citynet_export()
    empty_citynet()

    output = run(tmp_path, archive)

    assert snapshot() == before
    assert sorted(Coding.objects.values_list("salience", flat=True), key=str) == [3, None, None]
    assert "Not rated: 2 codings" in output


def test_importing_the_same_file_twice_changes_nothing(tmp_path, coded):
    archive = citynet_export()
    empty_citynet()
    run(tmp_path, archive)
    imported = snapshot()
    history = Coding.history.count() + Evidence.history.count()

    output = run(tmp_path, archive)

    assert "Imported: 3 codings unchanged, 4 evidence unchanged." in output
    assert snapshot() == imported
    assert Coding.history.count() + Evidence.history.count() == history


def test_dry_run_shows_what_would_be_written_and_writes_nothing(tmp_path, coded):
    archive = citynet_export()
    empty_citynet()

    output = run(tmp_path, archive, "--dry-run")

    assert "Would write: 2 coders created, 3 codings created, 4 evidence created, 4 sources created." in output
    assert not Coding.objects.exists() and not Source.objects.exists()
    assert not ProjectImportMapping.objects.exists()
