"""`{% matrix_cells row %}`: one row of the comparison table (`matrix_grid`), its cells written
in Python.

A page of 50 places has 750 cells, each a dozen template conditions and lookups: 12 ms of a
cold comparison page in the template language, a tenth of that here. The markup is what
networks/_matrix_table.html wrote, cell for cell (tests/networks/test_matrix_cells.py renders
both).
"""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

NOT_CODED = '<td class="num"><span class="not-coded" title="not coded">·</span></td>'
UNRATED = '<span class="visually-hidden"> coded, not rated</span>'


@register.simple_tag
def matrix_cells(row: dict) -> str:
    """The cells of one `matrix_grid` row: salience (linking to its evidence, on this page or
    the row's "evidence_page"), outcome, agreement mark and evidence count; a dot where not coded."""
    page = escape(row.get("evidence_page", ""))
    cells = []
    for cell in row["cells"]:
        coded = cell["cell"]
        if not coded:
            cells.append(NOT_CODED)
            continue
        anchor = escape(cell["anchor"])
        parts = [
            f'<td class="num"><a class="salience {escape(cell["salience_class"])}" href="{page}#{anchor}" '
            f'data-evidence="{anchor}" title="{escape(cell["title"])}">{escape(cell["salience_text"])}'
            f"{UNRATED if cell['salience_class'] == 'unrated' else ''}</a>"
        ]
        if coded.get("outcome"):
            parts.append(f" <small>{escape(coded['outcome'])}</small>")
        status = cell.get("agreement_status")
        if status in ("agreed", "disputed"):
            summary = escape(coded["agreement"]["summary"])
            if status == "agreed":
                parts.append(
                    f' <span class="agreement-mark agreed" title="{summary}">=<span class="visually-hidden">'
                    " coders agree</span></span>"
                )
            else:
                parts.append(
                    f' <span class="agreement-mark disputed" title="{summary}">≠<span class="visually-hidden">'
                    f" coders disagree: {summary}</span></span>"
                )
        parts.append(f"<br><small>{int(coded['evidence_count'])} evidence</small></td>")
        cells.append("".join(parts))
    return mark_safe("".join(cells))
