"""Importing projects in the shapes the tools write: QualCoder's code-point positions,
MAXQDA's upper-case GUIDs and nested codes, ATLAS.ti's minimal projects, NVivo's cases and
variables; and what Citynet cannot carry (audio, video, PDF regions)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError
from django.core.management import call_command

from cities.models import City
from networks.models import Code
from networks.models import CodebookVersion
from networks.models import Coder
from networks.models import Coding
from networks.models import Evidence
from networks.models import ProjectImportMapping
from networks.models import Source
from networks.research.refi import code_guid
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import NetworkFactory
from tests.networks.research.qdpx_projects import new_guid
from tests.networks.research.qdpx_projects import project
from tests.networks.research.qdpx_projects import qdpx
from tests.networks.research.qdpx_projects import span

pytestmark = pytest.mark.django_db


def run(tmp_path, data: bytes, *args: str, name: str = "project.qdpx") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    out = StringIO()
    call_command("import_qdpx", str(path), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def places():
    return {
        "network": NetworkFactory(name="Eurocities", acronym="EC", slug="eurocities"),
        "oslo": CityFactory(name="Oslo", slug="oslo", country="NO"),
        "copenhagen": CityFactory(name="København", slug="kobenhavn", country="DK"),
        "knowledge": CodeFactory(code="knowledge", name="Knowledge sharing", position=1),
        "lobbying": CodeFactory(code="lobbying", name="Lobbying", position=2),
    }


# --- QualCoder: code-point positions, sources as files --------------------------------------


def qualcoder_project(network_slug: str = "eurocities") -> tuple[bytes, dict]:
    text = "Intervju med Oslo kommune.\nSpørsmål: Hva gir nettverket?\nSvar: Vi lærer av København 🚲 hver uke.\n"
    start, end = span(text, "Vi lærer av København 🚲 hver uke.")
    user, code, source = new_guid("qc/user"), new_guid("qc/code"), new_guid("qc/source")
    note = new_guid("qc/note")
    return project(
        name="Oslo interviews",
        origin="QualCoder 3.5",
        users=[(user, "Kari")],
        codes=[{"guid": code, "name": "Knowledge sharing"}],
        cases=[{"guid": new_guid("qc/case"), "name": f"Oslo × {network_slug}", "sources": [source]}],
        sources=[
            {
                "guid": source,
                "name": "Interview 7 Oslo",
                "text": text,
                "selections": [
                    {
                        "guid": new_guid("qc/sel"),
                        "start": start,
                        "end": end,
                        "user": user,
                        "codes": [code],
                        "notes": [note],
                    }
                ],
            }
        ],
        notes=[{"guid": note, "text": "Salience: central. Outcome: met."}],
    )


def test_qualcoder_selection_lands_as_the_exact_text_counted_in_code_points(tmp_path, places):
    output = run(tmp_path, qdpx(*qualcoder_project()))

    item = Evidence.objects.get()
    assert item.text == "Vi lærer av København 🚲 hver uke."
    assert item.locator == "line 3" and item.kind == "quote"
    assert item.source.kind == "interview" and item.source.interview_number == 7
    # restricted by default for interviews
    assert item.visibility == "restricted"
    coding = item.coding
    assert (coding.city, coding.code, coding.coder.name) == (places["oslo"], places["knowledge"], "Kari")
    assert (coding.salience, coding.outcome, coding.perspective) == (3, "met", "city")
    assert "Oslo interviews" in output and "matched by name and country" in output


def test_selection_outside_its_source_text_is_refused_and_nothing_is_written(tmp_path, places):
    xml, files = qualcoder_project()
    text = next(iter(files.values())).decode()
    xml = xml.replace(f'endPosition="{span(text, "hver uke.")[1]}"'.encode(), b'endPosition="999"')

    with pytest.raises(CommandError, match=r"positions \d+-999 fall outside the text \(\d+ characters"):
        run(tmp_path, qdpx(xml, files))

    assert not Coding.objects.exists() and not Source.objects.exists() and not Coder.objects.exists()


def test_editor_can_choose_public_visibility_for_an_import(tmp_path, places):
    run(tmp_path, qdpx(*qualcoder_project()), "--visibility", "public")

    assert Evidence.objects.get().visibility == "public"


# --- MAXQDA: upper-case GUIDs, nested parent codes -----------------------------------------


def maxqda_project(extra_code: bool = True) -> tuple[bytes, dict]:
    text = "Dokument: Protokoll.\nOslo teilt Wissen mit allen Mitgliedern.\nUnd Oslo betreibt Lobbyarbeit."
    user = new_guid("mx/user", upper=True)
    knowledge, parent, other = (new_guid(f"mx/{n}", upper=True) for n in ("knowledge", "parent", "other"))
    source = new_guid("mx/source", upper=True)
    first, second = span(text, "Oslo teilt Wissen mit allen Mitgliedern."), span(text, "Oslo betreibt Lobbyarbeit.")
    children = [{"guid": knowledge, "name": "Knowledge sharing"}]
    if extra_code:
        children.append({"guid": other, "name": "Städtepartnerschaft"})
    return project(
        name="Protokolle",
        origin="MAXQDA 2022",
        users=[(user, "ANNA")],
        codes=[{"guid": parent, "name": "Network function", "codable": "false", "children": children}],
        sources=[
            {
                "guid": source,
                "name": "Protokoll 2019",
                "text": text,
                "variables": {"city": "Oslo", "network": "EC"},
                "selections": [
                    {"guid": new_guid("mx/s1", upper=True), "start": first[0], "end": first[1], "user": user,
                     "codes": [knowledge], "description": "Salience 2"},
                    {"guid": new_guid("mx/s2", upper=True), "start": second[0], "end": second[1], "user": user,
                     "codes": [other], "description": "salience: minor"},
                ][: 2 if extra_code else 1],
            }
        ],
    )  # fmt: skip


def test_maxqda_nested_code_is_matched_by_name_and_an_unmatched_code_is_listed_and_left_out(tmp_path, places):
    output = run(tmp_path, qdpx(*maxqda_project()))

    assert "Network function \\ Knowledge sharing" in output and "same name" in output
    assert "Left out: code Network function \\ Städtepartnerschaft left out Protokoll 2019" in output
    coding = Coding.objects.get()
    assert (coding.code, coding.salience, coding.city) == (places["knowledge"], 2, places["oslo"])
    # a protocol is a document: public by default
    assert Evidence.objects.get().visibility == "public"
    assert Evidence.objects.get().source.kind == "document"


def test_unmatched_code_can_go_to_a_new_codebook_version_instead(tmp_path, places):
    run(tmp_path, qdpx(*maxqda_project()), "--unmatched-codes", "new")

    new = Code.objects.get(name="Städtepartnerschaft")
    assert new.kind == Code.Kind.FUNCTION and not new.version.is_current
    assert CodebookVersion.objects.get(is_current=True).codes.count() == 2
    assert Coding.objects.get(code=new).salience == 1


def test_a_citynet_guid_wins_over_a_different_name(tmp_path, places):
    xml, files = maxqda_project(extra_code=False)
    maxqda_guid = new_guid("mx/knowledge", upper=True)
    xml = xml.replace(maxqda_guid.encode(), code_guid("lobbying").encode()).replace(b"Knowledge sharing", b"Lobby")

    run(tmp_path, qdpx(xml, files))

    assert Coding.objects.get().code == places["lobbying"]


# --- ATLAS.ti: minimal projects -------------------------------------------------------------


def atlas_project() -> tuple[bytes, dict]:
    text = "Interview 2 with the Copenhagen secretariat. We lobby together in Brussels."
    code, source = new_guid("at/code"), new_guid("at/source")
    start, end = span(text, "We lobby together in Brussels.")
    return project(
        name="HU Copenhagen",
        origin="ATLAS.ti 23",
        codes=[{"guid": code, "name": "lobbying"}],
        sources=[
            {
                "guid": source,
                "name": "Copenhagen secretariat",
                "text": text,
                "inline": True,
                "selections": [{"guid": new_guid("at/sel"), "start": start, "end": end, "codes": [code]}],
            }
        ],
    )


def test_atlas_minimal_project_is_refused_until_the_editor_names_cell_coder_and_salience(tmp_path, places):
    xml, _files = atlas_project()
    path = tmp_path / "project.qde"
    path.write_bytes(xml)

    with pytest.raises(CommandError) as refused:
        call_command("import_qdpx", str(path), stdout=StringIO())

    message = str(refused.value)
    assert "no place named 'Copenhagen secretariat' in the register" in message
    assert "1 codings name no user: choose the coder they are by." in message
    assert not Coding.objects.exists()


def test_atlas_minimal_project_imports_with_the_editors_choices(tmp_path, places):
    xml, _files = atlas_project()
    source = new_guid("at/source")

    output = run(
        tmp_path,
        xml,
        "--cell",
        f"source:{source}=kobenhavn@eurocities",
        "--coder",
        "Atlas coder",
        "--unrated-salience",
        "2",
        name="project.qde",
    )

    coding = Coding.objects.get()
    assert (coding.city, coding.code, coding.coder.name, coding.salience) == (
        places["copenhagen"],
        places["lobbying"],
        "Atlas coder",
        2,
    )
    assert "Salience not given in the imported project; set to 2 at import." in coding.note
    assert Evidence.objects.get().text == "We lobby together in Brussels."
    assert "Imported: 1 coders created, 1 codings created" in output


def test_unrated_codings_come_in_not_rated_by_default_and_the_preview_counts_them(tmp_path, places):
    xml, _files = atlas_project()
    cell = f"source:{new_guid('at/source')}=kobenhavn@eurocities"

    output = run(tmp_path, xml, "--cell", cell, "--coder", "Atlas coder", name="project.qde")

    assert "Not rated: 1 codings have no salience in the project and come in with none." in output
    coding = Coding.objects.get()
    assert coding.salience is None and coding.note == ""
    assert coding.evidence.get().text == "We lobby together in Brussels."


def test_an_unrated_project_coding_never_clears_a_salience_already_coded(tmp_path, places):
    coding = CodingFactory(
        city=places["copenhagen"],
        network=places["network"],
        code=places["lobbying"],
        coder=CoderFactory(name="Atlas coder"),
        salience=3,
    )
    cell = f"source:{new_guid('at/source')}=kobenhavn@eurocities"

    run(tmp_path, atlas_project()[0], "--cell", cell, "--coder", "Atlas coder", name="p.qde")

    coding.refresh_from_db()
    assert coding.salience == 3


def test_unrated_codings_can_be_left_out_and_are_listed(tmp_path, places):
    xml, _files = atlas_project()

    output = run(
        tmp_path,
        xml,
        "--cell",
        f"source:{new_guid('at/source')}=kobenhavn@eurocities",
        "--coder",
        "Atlas coder",
        "--unrated-salience",
        "skip",
        name="project.qde",
    )

    assert "Left out: København × EC × Lobbying by Atlas coder: no salience" in output
    assert not Coding.objects.exists()


def test_a_bare_project_qde_whose_text_is_in_the_archive_is_refused_with_the_reason(tmp_path, places):
    xml, _files = qualcoder_project()

    with pytest.raises(CommandError, match=r"upload the \.qdpx, not project\.qde alone"):
        run(tmp_path, xml, name="project.qde")


# --- NVivo: cases with variables ------------------------------------------------------------


def nvivo_project(city: str = "Oslo", country: str = "NO") -> tuple[bytes, dict]:
    text = "Oslo's officer: the network is where we learn what works."
    code, source, user = new_guid("nv/code"), new_guid("nv/source"), new_guid("nv/user")
    start, end = span(text, "the network is where we learn what works.")
    return project(
        name="Cities study",
        origin="NVivo 14",
        users=[(user, "Nora")],
        codes=[{"guid": code, "name": "Knowledge sharing"}],
        cases=[
            {
                "guid": new_guid("nv/case"),
                "name": "Case A",
                "variables": {
                    "City": city,
                    "Country": country,
                    "Network": "Eurocities",
                    "Knowledge sharing salience": "3",
                },
                "sources": [source],
            }
        ],
        sources=[
            {
                "guid": source,
                "name": "Officer interview",
                "text": text,
                "variables": {"Interview number": "12", "Organisation": "Oslo kommune", "Informant role": "officer"},
                "selections": [{"guid": new_guid("nv/sel"), "start": start, "end": end, "user": user, "codes": [code]}],
            }
        ],
    )


def test_nvivo_case_variables_give_the_place_the_network_and_the_salience(tmp_path, places):
    run(tmp_path, qdpx(*nvivo_project()))

    coding = Coding.objects.get()
    assert (coding.city, coding.network, coding.salience) == (places["oslo"], places["network"], 3)
    source = Source.objects.get()
    assert (source.kind, source.interview_number, source.organisation, source.informant_role) == (
        "interview",
        12,
        "Oslo kommune",
        "officer",
    )


def test_an_ambiguous_place_must_be_chosen_and_no_place_is_created(tmp_path, places):
    CityFactory(name="Springfield", slug="springfield-us", country="US")
    CityFactory(name="Springfield", slug="springfield-au", country="AU")
    cities = City.objects.count()

    with pytest.raises(CommandError, match=r"2 places are named 'Springfield' \(springfield-au, springfield-us\)"):
        run(tmp_path, qdpx(*nvivo_project(city="Springfield", country="")))

    assert City.objects.count() == cities and not Coding.objects.exists()


def test_the_editors_choice_is_remembered_for_the_next_import_of_the_project(tmp_path, places):
    CityFactory(name="Springfield", slug="springfield-us", country="US")
    CityFactory(name="Springfield", slug="springfield-au", country="AU")
    archive = qdpx(*nvivo_project(city="Springfield", country=""))
    run(tmp_path, archive, "--cell", f"case:{new_guid('nv/case')}=springfield-au@eurocities")
    Coding.objects.all().delete()

    output = run(tmp_path, archive)

    assert Coding.objects.get().city.slug == "springfield-au"
    assert "-> springfield-au@eurocities (your choice" in output
    remembered = ProjectImportMapping.objects.get()
    assert remembered.origin == "NVivo 14" and remembered.project_name == "Cities study"


def test_choices_can_come_from_a_json_file(tmp_path, places):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"visibility": "public"}), encoding="utf-8")

    run(tmp_path, qdpx(*nvivo_project()), "--mapping", str(mapping))

    assert Evidence.objects.get().visibility == "public"


# --- what Citynet cannot carry ----------------------------------------------------------------

AUDIO = (
    '<AudioSource guid="{g}" name="Focus group recording" path="internal://a.m4a">'
    '<AudioSelection guid="{s}" name="Minute 3" begin="180000" end="200000">'
    '<Coding guid="{c}"><CodeRef targetGUID="{code}"/></Coding></AudioSelection></AudioSource>'
)
PDF = (
    '<PDFSource guid="{g}" name="Strategy.pdf" path="internal://s.pdf">'
    '<PDFSelection guid="{s}" name="Figure 2" page="3" firstX="1" firstY="1" secondX="9" secondY="9">'
    '<Coding guid="{c}"><CodeRef targetGUID="{code}"/></Coding></PDFSelection></PDFSource>'
)


def test_audio_and_pdf_region_selections_are_listed_as_not_carried(tmp_path, places):
    code = new_guid("nv/code")
    xml, files = nvivo_project()
    media = [
        template.format(g=new_guid(f"{n}/g"), s=new_guid(f"{n}/s"), c=new_guid(f"{n}/c"), code=code)
        for n, template in [("audio", AUDIO), ("pdf", PDF)]
    ]
    xml, _ = project(**_nvivo_parts(media))

    output = run(tmp_path, qdpx(xml, files))

    assert "Not carried (audio segment): Focus group recording Minute 3 Knowledge sharing" in output
    assert "Not carried (PDF region): Strategy.pdf Figure 2 Knowledge sharing" in output
    assert Coding.objects.count() == 1


def _nvivo_parts(media: list[str]) -> dict:
    code, source, user = new_guid("nv/code"), new_guid("nv/source"), new_guid("nv/user")
    text = "Oslo's officer: the network is where we learn what works."
    start, end = span(text, "the network is where we learn what works.")
    return {
        "name": "Cities study",
        "origin": "NVivo 14",
        "users": [(user, "Nora")],
        "codes": [{"guid": code, "name": "Knowledge sharing"}],
        "cases": [
            {
                "guid": new_guid("nv/case"),
                "name": "Oslo",
                "variables": {"Network": "eurocities", "Knowledge sharing salience": "3"},
                "sources": [source],
            }
        ],
        "sources": [
            {
                "guid": source,
                "name": "Officer interview",
                "text": text,
                "selections": [{"guid": new_guid("nv/sel"), "start": start, "end": end, "user": user, "codes": [code]}],
            }
        ],
        "media": media,
    }


def test_a_salience_given_for_the_import_never_overrides_one_already_coded(tmp_path, places):
    coding = CodingFactory(
        city=places["copenhagen"],
        network=places["network"],
        code=places["lobbying"],
        coder=CoderFactory(name="Atlas coder"),
        salience=3,
    )
    cell = f"source:{new_guid('at/source')}=kobenhavn@eurocities"

    run(tmp_path, atlas_project()[0], "--cell", cell, "--coder", "Atlas coder", "--unrated-salience", "1", name="p.qde")

    coding.refresh_from_db()
    assert coding.salience == 3 and "set to 1 at import" not in coding.note
    assert coding.evidence.get().text == "We lobby together in Brussels."
