"""`{% evidence_item item %}`: one evidence item of a matrix cell (`evidence_details`), the
markup of networks/_evidence_item.html and its includes (_passage.html, _source_label.html)
written in Python.

A city page or a comparison page shows the evidence of its first 50 codings: two includes per
item, each a new template context, were a sixth of the cold page. The markup is the include's,
item for item (tests/networks/test_matrix_cells.py renders both); the include stays for the
pages that pass a Source or a logic tag.
"""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()

PARAPHRASE_ONLY = (
    '<span class="tag" title="The source may not be quoted: this is its public paraphrase.">paraphrase only</span>'
)
RESTRICTED = (
    '<span class="tag" title="Restricted evidence, e.g. a confidential interview: only those allowed may read it.">'
    "restricted</span>"
)
WITHHELD = '<em class="withheld">Restricted evidence: its text is not public.</em>'


def _passage(kind: str, text: str, visibility: str) -> str:
    tag = PARAPHRASE_ONLY if visibility == "paraphrase" else RESTRICTED if visibility == "restricted" else ""
    if not text:
        return tag + WITHHELD
    return tag + (f"<q>{conditional_escape(text)}</q>" if kind == "quote" else conditional_escape(text))


@register.simple_tag
def evidence_item(item: dict) -> str:
    """The <li> of one item: kind, passage as the reader may see it, and a fold with its source,
    locator, original text and full citation."""
    e = conditional_escape
    kind, locator, original, language = item["kind"], item["locator"], item["original_text"], item["language"]
    source = item["source_detail"]
    at = f", {e(locator)}" if locator else ""
    parts = [
        '<li><span class="tag">',
        "Quote" if kind == "quote" else "Paraphrase",
        "</span>",
        _passage(kind, item["text"], item["visibility"]),
        '\n  <details class="evidence-source"><summary><cite>',
        e(source["short_label"]),
        at,
        "</cite>",
    ]
    if original:
        parts.append(f" <small>· original{f' ({e(language)})' if language else ''}</small>")
    parts.append("</summary>\n    ")
    if original:
        shown = f"<q>{e(original)}</q>" if kind == "quote" else e(original)
        parts.append(f'<p class="original" lang="{e(language)}">{shown}</p>')
    parts.append(f'\n    <p class="full-citation">{e(source["citation"])}{at}')
    if source["url"]:
        parts.append(f' <a href="{e(source["url"])}" rel="noopener">link</a>')
    if source["kind"] == "interview" and source["interview_number"] and source["label"]:
        parts.append(f"<br><small>Cited as: {e(source['label'])}</small>")
    parts.append("</p>\n  </details>\n</li>")
    return mark_safe("".join(parts))
