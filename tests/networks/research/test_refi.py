import io
import json
import uuid
import zipfile
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError
from django.core.management import call_command
from lxml import etree

from networks.importing.study import STUDY_PATH
from networks.importing.study import study_load
from networks.models import Code
from networks.models import CodebookVersion
from networks.models import Coding
from networks.models import Evidence
from networks.research.refi import GUID_NAMESPACE
from networks.research.refi import POSITIONS
from networks.research.refi import code_guid
from networks.research.refi import codebook_import_qdc
from networks.research.refi import codebook_qdc
from networks.research.refi import parse_code_description
from networks.research.refi import project_document
from networks.research.refi import project_qdpx
from networks.research.refi import read_qdc
from networks.research.refi import schema_errors
from tests.factories import CityFactory
from tests.factories import CodebookVersionFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory

P = "{urn:QDA-XML:project:1.0}"
CODE_FIELDS = ["code", "name", "kind", "position", "definition", "when_to_use", "when_not_to_use", "example"]


def study_codes() -> list[Code]:
    """The study's codebook as unsaved codes, straight from the study file."""
    rows = json.loads(STUDY_PATH.read_text(encoding="utf-8"))["codebook"]["codes"]
    return [Code(**row) for row in rows]


def study_code_rows() -> list[dict]:
    rows = json.loads(STUDY_PATH.read_text(encoding="utf-8"))["codebook"]["codes"]
    return sorted(({name: row.get(name, "") for name in CODE_FIELDS} for row in rows), key=lambda r: r["code"])


def saved_code_rows(version: CodebookVersion) -> list[dict]:
    return sorted(version.codes.values(*CODE_FIELDS), key=lambda row: row["code"])


def unzip(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


def selections(archive: bytes) -> list[dict]:
    """Every PlainTextSelection of a .qdpx with the text it selects in its source file."""
    files = unzip(archive)
    root = etree.fromstring(files["project.qde"])
    found = []
    for source in root.iter(f"{P}TextSource"):
        text = files["sources/" + source.get("plainTextPath").removeprefix("internal://")].decode("utf-8")
        for selection in source.iter(f"{P}PlainTextSelection"):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            found.append(
                {
                    "guid": selection.get("guid"),
                    "source": source.get("name"),
                    "text": text[start:end],
                    "code": selection.find(f"{P}Coding/{P}CodeRef").get("targetGUID"),
                    "description": selection.findtext(f"{P}Description"),
                }
            )
    return found


# --- The codebook (QDC) ----------------------------------------------------------------


def test_study_codebook_validates_against_the_refi_qda_codebook_schema():
    assert schema_errors(codebook_qdc(study_codes()), schema="codebook") == []


def test_codebook_groups_codes_under_their_kind_with_stable_guids():
    root = etree.fromstring(codebook_qdc(study_codes()))
    groups = root.findall("{*}Codes/{*}Code")

    assert [(group.get("name"), group.get("isCodable")) for group in groups] == [
        ("Network function", "false"),
        ("Logic of participation", "false"),
    ]
    assert [code.get("name") for code in groups[0].findall("{*}Code")][:2] == [
        "Representation",
        "Goal and policy formulation",
    ]
    knowledge = root.find(".//{*}Code[@name='Knowledge sharing']")
    assert knowledge.get("guid") == str(uuid.uuid5(GUID_NAMESPACE, "code/knowledge")).upper()
    assert codebook_qdc(study_codes()) == codebook_qdc(study_codes())


def test_schema_errors_name_what_breaks_the_standard():
    broken = b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code name="x" isCodable="true"/></Codes></CodeBook>'

    errors = schema_errors(broken, schema="codebook")

    assert len(errors) == 1
    assert "guid" in errors[0]


def test_code_description_keeps_the_guidance_apart_from_the_definition():
    assert parse_code_description("Means this.\n\nWhen to use: Then.\n\nExample: Oslo.") == {
        "definition": "Means this.",
        "when_to_use": "Then.",
        "when_not_to_use": "",
        "example": "Oslo.",
        "code": "",
    }
    assert parse_code_description("Someone else's text.")["definition"] == "Someone else's text."


@pytest.mark.django_db
def test_study_codebook_imported_into_an_empty_database_gives_the_same_codes():
    report = codebook_import_qdc(data=codebook_qdc(study_codes()))

    version = CodebookVersion.objects.get(label=report["version"])
    assert report["version_created"] is True
    assert version.is_current
    assert len(report["created"]) == 7
    assert saved_code_rows(version) == study_code_rows()


@pytest.mark.django_db
def test_importing_the_same_codebook_again_duplicates_nothing():
    document = codebook_qdc(study_codes())
    codebook_import_qdc(data=document)

    report = codebook_import_qdc(data=document)

    assert report["created"] == []
    assert len(report["matched"]) == 7
    assert Code.objects.count() == 7
    assert CodebookVersion.objects.count() == 1


@pytest.mark.django_db
def test_importing_the_exported_study_codebook_matches_every_study_code():
    study_load()
    version = CodebookVersion.objects.get(is_current=True)
    before = saved_code_rows(version)

    report = codebook_import_qdc(data=codebook_qdc(Code.objects.current()))

    assert (report["version"], report["created"], len(report["matched"])) == (version.label, [], 7)
    assert saved_code_rows(version) == before


FOREIGN_QDC = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="ATLAS.ti Win 23.4.0">
  <Codes>
    <Code guid="1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="knowledge sharing" isCodable="true">
      <Description>Their own wording.</Description>
    </Code>
    <Code guid="2FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Promotion" isCodable="true"/>
    <Code guid="3FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Funding access" isCodable="true">
      <Description>Money from the network.</Description>
    </Code>
    <Code guid="4FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Logics of participation" isCodable="false">
      <Code guid="5FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Prestige" isCodable="true"/>
    </Code>
  </Codes>
  <Sets>
    <Set name="code group 1" guid="ECA18D76-2B8B-4B0C-8BE5-BBDC91F55294">
      <MemberCode guid="1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294"/>
    </Set>
  </Sets>
</CodeBook>
"""


@pytest.mark.django_db
def test_foreign_codebook_matches_existing_codes_by_name_and_slug_and_appends_new_ones():
    version = CodebookVersionFactory(label="current")
    knowledge = CodeFactory(version=version, code="knowledge", name="Knowledge sharing", position=4)
    CodeFactory(version=version, code="promotion", name="Promotion", position=5)
    CodeFactory(version=version, code="appropriateness", kind=Code.Kind.LOGIC, position=2)

    report = codebook_import_qdc(data=FOREIGN_QDC)

    assert report["matched"] == ["knowledge", "promotion"]
    assert report["created"] == ["funding-access", "prestige"]
    funding = Code.objects.get(code="funding-access")
    assert (funding.kind, funding.position, funding.definition) == ("function", 6, "Money from the network.")
    prestige = Code.objects.get(code="prestige")
    assert (prestige.kind, prestige.position, prestige.version) == ("logic", 3, version)
    assert prestige.definition.startswith("(The imported codebook gives no definition")
    knowledge.refresh_from_db()
    assert knowledge.definition == "What the code means."  # matched codes are left as they are


def test_reading_a_foreign_codebook_finds_the_kind_of_grouped_codes():
    entries = read_qdc(FOREIGN_QDC)

    assert [(entry["name"], entry["kind"]) for entry in entries] == [
        ("knowledge sharing", None),
        ("Promotion", None),
        ("Funding access", None),
        ("Prestige", "logic"),
    ]


@pytest.mark.django_db
def test_a_file_that_is_not_a_codebook_imports_nothing():
    with pytest.raises(ValueError, match="Not a REFI-QDA codebook"):
        codebook_import_qdc(data=b"<Project xmlns='urn:QDA-XML:project:1.0' name='x'/>")
    with pytest.raises(ValueError, match="Not an XML file"):
        codebook_import_qdc(data=b"name,definition\nx,y\n")

    assert CodebookVersion.objects.count() == 0


@pytest.mark.django_db
def test_a_codebook_import_that_fails_halfway_saves_nothing():
    version = CodebookVersionFactory()
    document = b"""<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
      <Code guid="4FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Logics" isCodable="false">
        <Code guid="5FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Prestige" isCodable="true"/>
      </Code>
      <Code guid="3FF58B12-6F6F-4B0C-8BE5-BBDC91F55294" name="Ungrouped" isCodable="true"/>
    </Codes></CodeBook>"""

    # Prestige (a logic) is saved before Ungrouped gets the impossible default kind.
    with pytest.raises(ValidationError, match="kind"):
        codebook_import_qdc(data=document, version=version, default_kind="bogus")

    assert version.codes.count() == 0


# --- The project (QDPX) ----------------------------------------------------------------


@pytest.mark.django_db
def test_study_project_validates_against_the_refi_qda_project_schema():
    study_load()
    xml, _texts = project_document(Coding.objects.for_export(), codes=Code.objects.current())

    assert schema_errors(xml, schema="project") == []


@pytest.mark.django_db
def test_every_selection_in_the_study_project_is_its_evidence_text():
    study_load()

    archive = project_qdpx(Coding.objects.for_export(), codes=Code.objects.current())
    found = selections(archive)

    evidence = sorted(Evidence.objects.values_list("source__label", "text"))
    assert len(found) == Evidence.objects.count() == 35
    assert sorted((selection["source"], selection["text"]) for selection in found) == evidence
    assert len({selection["guid"] for selection in found}) == 35


@pytest.mark.django_db
def test_each_selection_is_coded_with_its_codings_code_and_describes_salience():
    study_load()
    oslo_knowledge = Coding.objects.get(city__name="Oslo", code__code="knowledge")
    text = oslo_knowledge.evidence.get().text

    found = selections(project_qdpx(Coding.objects.for_export()))
    (selection,) = [s for s in found if s["text"] == text and "Oslo" in s["description"]]

    assert selection["code"] == code_guid("knowledge")
    assert "salience 3 (central), outcome met" in selection["description"]
    # The source by the name pages, CSVs and the API give it (sources.source_label).
    assert "Interview 2, 2018, p. 67" in selection["description"]


@pytest.mark.django_db
def test_study_project_has_a_user_per_coder_and_a_case_per_city_and_network():
    study_load()

    root = etree.fromstring(project_document(Coding.objects.for_export())[0])

    users = root.findall(f"{P}Users/{P}User")
    assert [user.get("name") for user in users] == ["Citynet seed coding of Grønnestad & Nielsen (2018)"]
    cases = {case.get("name"): case for case in root.iter(f"{P}Case")}
    assert set(cases) == {
        "100RC (the network as a whole)",
        "Chennai × 100RC",
        "Porto Alegre × 100RC",
        "Vejle × 100RC",
        "Eurocities (the network as a whole)",
        "Copenhagen × Eurocities",
        "Oslo × Eurocities",
    }
    oslo = cases["Oslo × Eurocities"]
    assert {ref.get("targetGUID") for ref in oslo.findall(f"{P}CodeRef")} == {
        code_guid(code) for code in ("knowledge", "representation", "promotion", "appropriateness")
    }
    selection_guids = {selection.get("guid") for selection in root.iter(f"{P}PlainTextSelection")}
    assert {ref.get("targetGUID") for ref in oslo.findall(f"{P}SelectionRef")} <= selection_guids


@pytest.mark.django_db
def test_project_description_says_how_character_positions_are_counted():
    study_load()

    root = etree.fromstring(project_document(Coding.objects.for_export())[0])

    assert POSITIONS in root.findtext(f"{P}Description")
    assert "code points" in POSITIONS


@pytest.mark.django_db
def test_two_exports_of_the_same_codings_are_byte_identical():
    study_load()

    first = project_qdpx(Coding.objects.for_export(), codes=Code.objects.current())
    second = project_qdpx(Coding.objects.for_export(), codes=Code.objects.current())

    assert first == second


@pytest.mark.django_db
def test_positions_count_code_points_not_bytes():
    source = SourceFactory(label="Notes", citation="Field notes")
    coding = CodingFactory(city=CityFactory(name="Tromsø"))
    EvidenceFactory(coding=coding, source=source, locator="p. 2", text="Ærlig talt: 😀 godt")
    EvidenceFactory(coding=coding, source=source, locator="p. 10", text="Næste side")

    xml, texts = project_document(Coding.objects.for_export())
    (text,) = texts.values()
    starts = sorted(int(s.get("startPosition")) for s in etree.fromstring(xml).iter(f"{P}PlainTextSelection"))

    assert [text[start:].split("\n")[0] for start in starts] == ["Ærlig talt: 😀 godt", "Næste side"]
    assert starts[0] == text.index("Ærlig")
    assert len(text.encode("utf-8")) > len(text)  # bytes would give other positions


@pytest.mark.django_db
def test_the_same_passage_coded_for_several_cities_appears_once_in_its_source():
    study_load()

    xml, texts = project_document(Coding.objects.for_export(network=None))
    shared = "Resilience strategy first"

    assert sum(text.count(shared) for text in texts.values()) == 1
    named = [s for s in etree.fromstring(xml).iter(f"{P}PlainTextSelection") if s.get("name").endswith("formulation")]
    assert len({(s.get("startPosition"), s.get("endPosition")) for s in named}) < len(named)


@pytest.mark.django_db
def test_codings_without_evidence_still_appear_in_their_case():
    coding = CodingFactory(city=CityFactory(name="Bergen"), network=NetworkFactory(name="Net"))

    xml, texts = project_document([coding])
    root = etree.fromstring(xml)

    assert schema_errors(xml, schema="project") == []
    assert texts == {}
    (case,) = root.iter(f"{P}Case")
    assert case.find(f"{P}CodeRef").get("targetGUID") == code_guid(coding.code.code)


# --- Commands --------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_qdc_and_import_qdc_commands_round_trip(tmp_path):
    study_load()
    path = tmp_path / "codebook.qdc"
    out = StringIO()

    call_command("export_qdc", "-o", str(path), stdout=out)
    call_command("import_qdc", str(path), stdout=out)

    assert "7 codes written" in out.getvalue()
    assert "0 created (none), 7 already there" in out.getvalue()
    assert schema_errors(path.read_bytes(), schema="codebook") == []


@pytest.mark.django_db
def test_export_qdpx_command_exports_one_city_in_one_network(tmp_path):
    study_load()
    path = tmp_path / "oslo.qdpx"

    call_command("export_qdpx", "--network", "eurocities", "--city", "oslo", "-o", str(path), stdout=StringIO())

    root = etree.fromstring(unzip(path.read_bytes())["project.qde"])
    assert [case.get("name") for case in root.iter(f"{P}Case")] == ["Oslo × Eurocities"]
    assert "network eurocities; cities oslo" in root.findtext(f"{P}Description")


@pytest.mark.django_db
def test_export_qdpx_command_refuses_an_unknown_network(tmp_path):
    with pytest.raises(CommandError, match="No network"):
        call_command("export_qdpx", "--network", "nowhere", "-o", str(tmp_path / "x.qdpx"))


@pytest.mark.django_db
def test_import_qdc_command_reports_a_broken_file_and_imports_nothing(tmp_path):
    path = tmp_path / "broken.qdc"
    path.write_text("not xml", encoding="utf-8")

    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_qdc", str(path))

    assert Code.objects.count() == 0


@pytest.mark.django_db
def test_export_qdpx_runs_a_fixed_number_of_queries(django_assert_num_queries):
    coder = CoderFactory()
    for _ in range(3):
        EvidenceFactory(coding=CodingFactory(coder=coder))

    # 1 the codings with city, network, code and coder; 2 their evidence with its source
    with django_assert_num_queries(2):
        project_document(Coding.objects.for_export())


@pytest.mark.django_db
def test_export_qdpx_reads_the_studies_sources_are_part_of_in_one_query(django_assert_num_queries):
    study = SourceFactory(kind="study")
    coder = CoderFactory()
    for _ in range(3):
        EvidenceFactory(coding=CodingFactory(coder=coder), source=SourceFactory(kind="interview", part_of=study))

    # 1 the codings; 2 their evidence with its source; 3 the studies those sources are part of
    with django_assert_num_queries(3):
        project_document(Coding.objects.for_export())


@pytest.mark.django_db
def test_a_sources_fields_and_the_study_it_is_part_of_are_written_as_its_variables():
    study = SourceFactory(kind="study", label="Nordic study", citation="Nordic cities study, 2018.", year=2018)
    interview = SourceFactory(
        kind="interview",
        label="Informant 7, 2018",
        citation="Interview 7 (Oslo).",
        interview_number=7,
        organisation="City of Oslo",
        informant_role="Climate adviser",
        year=2018,
        url="https://example.org/interviews/7",
        part_of=study,
    )
    EvidenceFactory(coding=CodingFactory(), source=interview)

    xml, texts = project_document(Coding.objects.for_export())

    assert schema_errors(xml, schema="project") == []
    root = etree.fromstring(xml)
    names = {variable.get("guid"): variable.get("name") for variable in root.iter(f"{P}Variable")}
    found = {
        source.get("name"): {
            names[value.find(f"{P}VariableRef").get("targetGUID")]: value[1].text
            for value in source.findall(f"{P}VariableValue")
        }
        for source in root.iter(f"{P}TextSource")
    }
    assert found == {
        "Informant 7, 2018": {
            "Source kind": "interview",
            "Interview number": "7",
            "Organisation": "City of Oslo",
            "Informant role": "Climate adviser",
            "Year": "2018",
            "URL": "https://example.org/interviews/7",
            "Part of": "Nordic cities study, 2018.",
        },
        "Nordic study": {"Source kind": "study", "Year": "2018"},
    }
    assert len(texts) == 2
    assert root.find(f"{P}Sources/{P}TextSource[@name='Nordic study']/{P}PlainTextSelection") is None
