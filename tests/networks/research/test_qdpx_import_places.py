"""A project's cases find their places through the place register's reconciliation: spellings
with diacritics, affixes and the country in the name match and say how; close spellings,
several places and a city beside a metropolitan body of its name are the editor's choice; a
metropolitan body never matches the city; no place is ever created."""

from io import StringIO

import pytest
from django.core.management import CommandError
from django.core.management import call_command

from cities.models import City
from cities.models import GeoNamesName
from cities.models import GeoNamesPlace
from networks.models import Coding
from networks.research.qdpx_import import Choices
from networks.research.qdpx_import import propose
from networks.research.qdpx_import import read_upload
from networks.research.qdpx_import.places import kind_in_name
from networks.research.qdpx_import.places import read_country
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import NetworkFactory
from tests.networks.research.qdpx_projects import new_guid
from tests.networks.research.qdpx_projects import project
from tests.networks.research.qdpx_projects import qdpx
from tests.networks.research.qdpx_projects import span

pytestmark = pytest.mark.django_db

CASE = new_guid("places/case", upper=True)


@pytest.fixture
def places():
    return {
        "network": NetworkFactory(name="Eurocities", acronym="EC", slug="eurocities"),
        "oslo": CityFactory(name="Oslo", slug="oslo", country="NO"),
        "copenhagen": CityFactory(name="København", slug="kobenhavn", country="DK", geonames_id=2618425),
        "porto-alegre": CityFactory(name="Porto Alegre", slug="porto-alegre", country="BR"),
        "trondheim": CityFactory(name="Trondheim", slug="trondheim", country="NO"),
        "manchester": CityFactory(name="Manchester", slug="manchester", country="GB"),
        "knowledge": CodeFactory(code="knowledge", name="Knowledge sharing", position=1),
    }


def case_project(name: str = "", **variables: str) -> bytes:
    """An NVivo-shaped project: one case (named `name`, with `variables`) holding one coded interview."""
    text = "The officer: the network is where we learn what works."
    code, source, user = new_guid("places/code"), new_guid("places/source"), new_guid("places/user")
    start, end = span(text, "the network is where we learn what works.")
    return qdpx(
        *project(
            name="Places study",
            origin="NVivo 14",
            users=[(user, "Nora")],
            codes=[{"guid": code, "name": "Knowledge sharing"}],
            cases=[
                {
                    "guid": CASE,
                    "name": name or "Case A",
                    "variables": {"Network": "Eurocities", "Knowledge sharing salience": "2", **variables},
                    "sources": [source],
                }
            ],
            sources=[
                {
                    "guid": source,
                    "name": "Officer interview",
                    "text": text,
                    "selections": [
                        {"guid": new_guid("places/sel"), "start": start, "end": end, "user": user, "codes": [code]}
                    ],
                }
            ],
        )
    )


def case_row(archive: bytes, choices: Choices | None = None) -> dict:
    plan = propose(read_upload(archive, file_name="project.qdpx"), choices or Choices())
    return next(row for row in plan.unit_rows if row["key"] == f"case:{CASE}")


def run(tmp_path, data: bytes, *args: str) -> str:
    path = tmp_path / "project.qdpx"
    path.write_bytes(data)
    out = StringIO()
    call_command("import_qdpx", str(path), *args, stdout=out)
    return out.getvalue()


def alternate_names(geonameid: int, name: str, country: str, *keys: str) -> None:
    place = GeoNamesPlace.objects.create(
        geonameid=geonameid,
        name=name,
        ascii_name=name,
        country=country,
        admin1_code="17",
        latitude=55.7,
        longitude=12.6,
        population=1_153_615,
    )
    for key in {name.casefold(), *keys}:
        GeoNamesName.objects.create(place=place, key=key)


# --- spellings that match ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_name", "variables", "slug", "how"),
    [
        ("KØBENHAVN × EC", {}, "kobenhavn", "matched by name and country (DK: the case names no country"),
        ("Kobenhavn × EC", {}, "kobenhavn", "matched by folded name and country (DK: the case names no country"),
        ("City of København", {"Country": "Denmark"}, "kobenhavn", "matched by folded name and country"),
        ("Kobenhavns Kommune (DK)", {}, "kobenhavn", None),
        ("City of Oslo", {}, "oslo", "matched by folded name and country (NO:"),
        ("Oslo kommune", {"Country": "NOR"}, "oslo", "matched by folded name and country"),
        ("Porto Alegre, Brazil", {}, "porto-alegre", "matched by name and country"),
        ("Prefeitura de Porto Alegre (BR)", {}, "porto-alegre", "matched by folded name and country"),
    ],
)
def test_a_spelling_with_diacritics_affixes_or_the_country_in_the_name_finds_the_place_held(
    places, case_name, variables, slug, how
):
    row = case_row(case_project(case_name, **variables))

    if how is None:  # 'Kobenhavns' (a genitive) is a close spelling: a candidate, no silent pick
        assert row["target"] == "" and row["candidates"] == [slug]
        return
    assert row["target"] == f"{slug}@eurocities"
    assert row["how"].startswith(how)


def test_a_geonames_alternate_name_finds_the_place_held_with_the_country_in_the_name(places):
    alternate_names(2618425, "Copenhagen", "DK", "kobenhavn", "kopenhagen")

    row = case_row(case_project("Copenhagen (DK)"))

    assert row["target"] == "kobenhavn@eurocities"
    assert row["how"] == "matched by GeoNames alternate name and country"


def test_the_preview_says_how_each_case_was_matched_and_the_import_lands_in_the_place(tmp_path, places):
    cities = City.objects.count()

    output = run(tmp_path, case_project("City of København × EC"))

    assert "-> kobenhavn@eurocities (matched by folded name and country (DK: the case names no country" in output
    assert Coding.objects.get().city == places["copenhagen"]
    assert City.objects.count() == cities


# --- doubtful: the editor chooses ------------------------------------------------------------


def test_a_close_spelling_is_doubtful_and_shown_as_a_candidate_never_picked(tmp_path, places):
    cities = City.objects.count()
    archive = case_project("Trondhiem", Country="NO")

    row = case_row(archive)

    assert row["target"] == "" and row["cell"] is None
    assert row["candidates"] == ["trondheim"]
    assert row["how"].startswith("doubtful: needs a decision (close spellings of places held): trondheim (Trondheim")
    with pytest.raises(CommandError, match=r"Case 'Trondhiem' \(1 selections\): doubtful"):
        run(tmp_path, archive)
    assert not Coding.objects.exists() and City.objects.count() == cities

    output = run(tmp_path, archive, "--cell", f"case:{CASE}=trondheim@eurocities")

    assert "-> trondheim@eurocities (your choice" in output
    assert Coding.objects.get().city == places["trondheim"]
    assert City.objects.count() == cities


def test_a_close_spelling_without_a_country_is_found_in_the_countries_held(places):
    row = case_row(case_project("Trondhiem × EC"))

    assert row["target"] == "" and row["candidates"] == ["trondheim"]


def test_a_city_and_a_metropolitan_body_of_one_name_are_the_editors_choice(places):
    body = CityFactory(name="Manchester", slug="greater-manchester", country="GB", kind=City.Kind.METROPOLITAN)

    row = case_row(case_project("Manchester", Country="GB"))

    assert row["target"] == ""
    assert row["candidates"] == ["manchester", body.slug]
    assert "places of different kinds bear the name 'Manchester'" in row["how"]


def test_a_case_that_says_its_kind_matches_the_place_of_that_kind(places):
    body = CityFactory(name="Manchester", slug="greater-manchester", country="GB", kind=City.Kind.METROPOLITAN)

    city_row = case_row(case_project("Manchester", Country="GB", **{"Place kind": "City"}))
    body_row = case_row(case_project("Manchester", Country="GB", **{"Place kind": "Metropolitan"}))

    assert city_row["target"] == "manchester@eurocities"
    assert body_row["target"] == f"{body.slug}@eurocities"


# --- never the city for a metropolitan body, never a new place ---------------------------------


@pytest.mark.parametrize(
    ("case_name", "variables"),
    [
        ("Manchester", {"Country": "GB", "Place kind": "Metropolitan"}),
        ("Manchester", {"Place kind": "Region"}),
        ("Manchester Metropolitan Region (GB)", {}),
    ],
)
def test_a_metropolitan_body_does_not_match_the_city_of_its_name(tmp_path, places, case_name, variables):
    cities = City.objects.count()
    archive = case_project(case_name, **variables)

    row = case_row(archive)

    assert row["target"] == "" and row["candidates"] == []
    if "Place kind" in variables:
        assert row["how"].startswith("no metropolitan or regional body named 'Manchester' in the register (GB)")
        assert "manchester (Manchester, GB, city) is not it" in row["how"]
    with pytest.raises(CommandError, match="choose one \\(none is created\\)"):
        run(tmp_path, archive)
    assert City.objects.count() == cities and not Coding.objects.exists()


def test_a_place_geonames_knows_but_the_register_lacks_is_not_created(tmp_path, places):
    alternate_names(3099434, "Gdańsk", "PL", "gdansk")
    cities = City.objects.count()

    row = case_row(case_project("Gdansk", Country="PL"))

    assert row["target"] == ""
    assert row["how"] == "no place named 'Gdansk' in the register (PL): choose one (none is created)"
    assert City.objects.count() == cities


def test_a_country_the_name_and_the_variable_disagree_on_is_the_editors_choice(places):
    row = case_row(case_project("Oslo (DK)", Country="NO"))

    assert row["target"] == "" and "the name says DK, the country variable NO" in row["how"]


# --- reading names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "variable", "read"),
    [
        ("Copenhagen (DK)", "", ("Copenhagen", "DK", "")),
        ("Porto Alegre, Brazil", "", ("Porto Alegre", "BR", "")),
        ("Abington, MA", "", ("Abington, MA", "", "")),  # a state, not Morocco
        ("Abington, MA", "US", ("Abington, MA", "US", "")),
        ("Oslo, NO", "Norway", ("Oslo", "NO", "")),
        ("Oslo (city)", "", ("Oslo (city)", "", "")),
    ],
)
def test_the_country_is_read_from_the_variable_and_the_name(written, variable, read):
    assert read_country(written, variable) == read


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Città metropolitana di Torino", City.Kind.METROPOLITAN),
        ("Région Île-de-France", City.Kind.METROPOLITAN),
        ("Greater Manchester Combined Authority", City.Kind.METROPOLITAN),
        ("Manchester", ""),
        ("Regensburg", ""),
    ],
)
def test_a_metropolitan_body_is_known_by_its_name(name, kind):
    assert kind_in_name(name) == kind
