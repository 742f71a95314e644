"""Two coders' projects of the same material, imported one after the other, reach the
comparison matrix's agreement marks and the agreement page's kappa and alpha."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from networks.models import Coding
from networks.models import Source
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import NetworkFactory
from tests.networks.research.qdpx_projects import new_guid
from tests.networks.research.qdpx_projects import project
from tests.networks.research.qdpx_projects import qdpx
from tests.networks.research.qdpx_projects import span

pytestmark = pytest.mark.django_db

TEXTS = {
    "oslo": "Interview 1, Oslo.\nWe learn from other cities.\nWe lobby Brussels with them.\nWe speak for cities.",
    "kobenhavn": "Interview 2, København.\nThe network teaches us.\nIt represents us in Brussels.",
}
PASSAGES = {
    ("oslo", "knowledge"): "We learn from other cities.",
    ("oslo", "lobbying"): "We lobby Brussels with them.",
    ("oslo", "representation"): "We speak for cities.",
    ("kobenhavn", "knowledge"): "The network teaches us.",
    ("kobenhavn", "representation"): "It represents us in Brussels.",
}
CODES = {"knowledge": "Knowledge sharing", "lobbying": "Lobbying", "representation": "Representation"}


def coder_project(coder: str, codings: dict[tuple[str, str], int]) -> bytes:
    """One coder's QualCoder project of the two interviews: {(city, code): salience}."""
    user = new_guid(f"two/{coder}/user")
    sources = []
    for city, text in TEXTS.items():
        selections = []
        for (coded_city, code), salience in codings.items():
            if coded_city == city:
                start, end = span(text, PASSAGES[(city, code)])
                selections.append(
                    {
                        "guid": new_guid(f"two/{coder}/{city}/{code}"),
                        "start": start,
                        "end": end,
                        "user": user,
                        "codes": [new_guid(f"two/{coder}/code/{code}")],
                        "description": f"salience: {salience}",
                    }
                )
        # Both coders coded the same files, so the sources have the same names and citations.
        sources.append(
            {
                "guid": new_guid(f"two/{coder}/{city}"),
                "name": text.splitlines()[0],
                "text": text,
                "selections": selections,
            }
        )
    cases = [
        {"guid": new_guid(f"two/{coder}/case/{city}"), "name": f"{city} × EC", "sources": [source["guid"]]}
        for city, source in zip(TEXTS, sources, strict=True)
    ]
    codes = [{"guid": new_guid(f"two/{coder}/code/{code}"), "name": name} for code, name in CODES.items()]
    return qdpx(
        *project(name=f"Cities, coded by {coder}", users=[(user, coder)], codes=codes, cases=cases, sources=sources)
    )


@pytest.fixture
def two_coders(tmp_path):
    NetworkFactory(name="Eurocities", acronym="EC", slug="eurocities")
    CityFactory(name="Oslo", slug="oslo")
    CityFactory(name="København", slug="kobenhavn", country="DK")
    for position, (code, name) in enumerate(CODES.items()):
        CodeFactory(code=code, name=name, position=position)
    first = {
        ("oslo", "knowledge"): 3,
        ("oslo", "lobbying"): 2,
        ("kobenhavn", "knowledge"): 2,
        ("kobenhavn", "representation"): 1,
    }
    second = {
        ("oslo", "knowledge"): 3,
        ("oslo", "lobbying"): 1,
        ("oslo", "representation"): 2,
        ("kobenhavn", "knowledge"): 2,
    }
    for coder, codings in [("Anna", first), ("Ben", second)]:
        path = tmp_path / f"{coder}.qdpx"
        path.write_bytes(coder_project(coder, codings))
        call_command("import_qdpx", str(path), stdout=StringIO())


def test_second_coders_project_shares_the_sources_and_adds_a_coder(two_coders):
    assert Source.objects.count() == 2
    assert Coding.objects.filter(coder__name="Anna").count() == 4
    assert Coding.objects.filter(coder__name="Ben").count() == 4


def test_matrix_marks_agreed_and_disputed_cells_after_two_imports(client, two_coders):
    response = client.get(reverse("networks:compare"), {"network": "eurocities"})

    marks = {
        (row["city"]["slug"], cell["code"]): cell["cell"]["agreement"]["status"]
        for row in response.context["grid"]["rows"]
        for cell in row["cells"]
        if cell["cell"]
    }
    assert marks == {
        ("oslo", "knowledge"): "agreed",
        ("oslo", "lobbying"): "disputed",  # 2 against 1
        ("oslo", "representation"): "disputed",  # Ben only
        ("kobenhavn", "knowledge"): "agreed",
        ("kobenhavn", "representation"): "disputed",  # Anna only
    }


def test_agreement_page_computes_kappa_and_alpha_from_the_imported_codings(client, two_coders):
    response = client.get(reverse("networks:agreement"), {"network": "eurocities"})

    summary = response.context["summary"]
    assert summary["coders"] == ["Anna", "Ben"] and summary["cases"] == 2
    overall = summary["overall"]
    # presence over 6 units (2 cases x 3 codes): agree on 4, each coder applied 4 of 6:
    # (4/6 - 5/9) / (1 - 5/9)
    assert overall["units"] == 6
    assert overall["presence_kappa"] == pytest.approx(0.25)
    # salience where both applied: 3/3, 2/1, 2/2
    assert overall["salience_kappa"] == pytest.approx(0.5)
    assert overall["salience_alpha"] is not None
    assert "Krippendorff's α" in response.content.decode()
