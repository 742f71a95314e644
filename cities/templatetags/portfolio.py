"""`{% portfolio_cells row %}`: one row of a city's portfolio table, its cells written in Python.

The best-connected place has 84 coded networks: 840 cells, each an `if` of three branches,
took a fifth of its cold page in the template language and 2 ms here. The markup is the
template's, cell for cell (tests/cities/test_views.py reads it).
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

NOT_CODED = mark_safe('<td class="num"><span class="not-coded" title="not coded">·</span></td>')
UNRATED = (
    '<td class="num"><a class="salience unrated" title="coded, not rated" href="{}#{}" data-evidence="{}">'
    '○<span class="visually-hidden"> coded, not rated</span></a></td>'
)
RATED = '<td class="num"><a class="salience s{}" href="{}#{}" data-evidence="{}">{}</a></td>'


@register.simple_tag
def portfolio_cells(row: dict) -> str:
    """The cells of one `portfolio_grid` row: its salience, or "coded, not rated", linking to the
    cell's evidence (on this page, or on the row's "evidence_page"); a dot where not coded."""
    page = row.get("evidence_page", "")
    cells = []
    for cell in row["cells"]:
        if cell["salience"] is not None:
            cells.append(format_html(RATED, cell["salience"], page, cell["anchor"], cell["anchor"], cell["salience"]))
        elif cell["coded"]:
            cells.append(format_html(UNRATED, page, cell["anchor"], cell["anchor"]))
        else:
            cells.append(NOT_CODED)
    return mark_safe("".join(cells))
