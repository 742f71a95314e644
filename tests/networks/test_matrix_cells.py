"""The comparison table's cells, written by `{% matrix_cells %}`, are the markup the template
loop wrote: rated, unrated, not coded, with and without outcome, agreed and disputed cells,
text that needs escaping, and cells whose evidence is on another page."""

import re

import pytest
from django.template import Context
from django.template import Template
from django.urls import reverse

from networks import aggregates
from tests.networks.test_charts import cell
from tests.networks.test_charts import matrix
from tests.networks.test_views_compare import codes  # noqa: F401 (a fixture)
from tests.networks.test_views_compare import eurocities  # noqa: F401 (a fixture)

# networks/_matrix_table.html's cell loop before the tag took it over.
TEMPLATE_CELLS = Template(
    """{% for cell in row.cells %}<td class="num">{% if cell.cell %}{% with coded=cell.cell %}"""
    """<a class="salience {{ cell.salience_class }}" href="{{ row.evidence_page }}#{{ cell.anchor }}" """
    """data-evidence="{{ cell.anchor }}" title="{{ cell.title }}">{{ cell.salience_text }}"""
    """{% if cell.salience_class == "unrated" %}<span class="visually-hidden"> coded, not rated</span>{% endif %}"""
    """</a>{% if coded.outcome %} <small>{{ coded.outcome }}</small>{% endif %}"""
    """{% if cell.agreement_status == "agreed" %} <span class="agreement-mark agreed" """
    """title="{{ coded.agreement.summary }}">=<span class="visually-hidden"> coders agree</span></span>"""
    """{% elif cell.agreement_status == "disputed" %} <span class="agreement-mark disputed" """
    """title="{{ coded.agreement.summary }}">≠<span class="visually-hidden"> coders disagree: """
    """{{ coded.agreement.summary }}</span></span>{% endif %}<br><small>{{ coded.evidence_count|stringformat:"d" }}"""
    """ evidence</small>{% endwith %}{% else %}<span class="not-coded" title="not coded">·</span>{% endif %}</td>"""
    """{% endfor %}"""
)
TAG_CELLS = Template("{% load matrix_cells %}{% matrix_cells row %}")


def both(row: dict) -> tuple[str, str]:
    return TEMPLATE_CELLS.render(Context({"row": row})), TAG_CELLS.render(Context({"row": row}))


def agreed(salience, status, summary):
    return {**cell(salience, "mixed", 2), "agreement": {"status": status, "summary": summary}}


def test_every_kind_of_cell_is_written_as_the_template_wrote_it():
    grid = aggregates.matrix_grid(
        matrix(
            ("oslo", "eurocities", {"representation": cell(3, "met", 2), "knowledge": cell(None, "")}),
            ("vejle", "100rc", {"representation": agreed(2, "agreed", 'Two coders: "2" & 2')}),
            (
                "aarhus",
                "eurocities",
                {"knowledge": agreed(1, "disputed", "A: 1 <b>B</b>: 3"), "appropriateness": cell(0)},
            ),
        )
    )
    grid["rows"][2]["evidence_page"] = "/cities/aarhus/evidence/eurocities/"
    for row in grid["rows"]:
        old, new = both(row)
        assert new == old
    assert "&lt;b&gt;" in both(grid["rows"][2])[1] and "&quot;2&quot; &amp; 2" in both(grid["rows"][1])[1]


@pytest.mark.django_db
def test_the_studys_comparison_table_is_unchanged(client, eurocities):  # noqa: F811
    response = client.get(reverse("networks:compare"), {"network": "eurocities"})
    html = response.content.decode()
    for row in response.context["grid"]["rows"]:
        old, new = both(row)
        assert new == old
        # The page holds them, between the row's header and its end.
        assert re.sub(r"\s+", " ", new) in re.sub(r"\s+", " ", html)


@pytest.mark.parametrize("value", [None, 0, 1, 2, 3])
@pytest.mark.parametrize("title", ["", 'Salience "high" & <central>'])
def test_the_salience_badge_filter_writes_what_the_include_wrote(value, title):
    context = Context({"value": value, "title": title})
    included = Template('{% include "_salience.html" with value=value title=title %}').render(context)
    filtered = Template("{% load badges %}{{ value|salience_badge:title }}").render(context)
    assert filtered == included.strip()
    if not title:
        assert Template("{% load badges %}{{ value|salience_badge }}").render(context) == included.strip()


def evidence(**changes):
    source = {
        "kind": "interview",
        "label": "Informant 2",
        "short_label": "Interview 2, 2018",
        "citation": "Interview with a city officer <Oslo> & co.",
        "interview_number": 2,
        "year": 2018,
        "url": "",
    }
    item = {
        "id": 1,
        "visibility": "public",
        "kind": "quote",
        "text": 'Uses "Eurocities" to lobby <the EU> & more.',
        "locator": "p. 67",
        "original_text": "",
        "language": "",
        "source_detail": source,
    }
    for key, value in changes.items():
        (source if key in source and key not in item else item)[key] = value
    return item


@pytest.mark.parametrize(
    "item",
    [
        evidence(),
        evidence(kind="paraphrase", locator=""),
        evidence(visibility="paraphrase", kind="paraphrase"),
        evidence(visibility="restricted", text="", locator=""),
        evidence(visibility="restricted", text="Seen by an editor."),
        evidence(original_text="Bruker Eurocities <til> lobbyisme.", language="nb"),
        evidence(original_text="Ohne Sprache.", kind="paraphrase"),
        evidence(kind="document", label="", interview_number=None, url="https://example.org/?a=1&b=<2>"),
        evidence(interview_number=None),
    ],
)
def test_the_evidence_item_tag_writes_what_the_include_wrote(item):
    context = Context({"item": item})
    included = Template(
        '{% include "networks/_evidence_item.html" with kind=item.kind text=item.text visibility=item.visibility'
        " original=item.original_text language=item.language source=item.source_detail locator=item.locator %}"
    ).render(context)
    tagged = Template("{% load evidence_items %}{% evidence_item item %}").render(context)
    assert tagged == included.rstrip("\n")
