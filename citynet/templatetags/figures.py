"""`figure_script`: Django's `json_script`, quicker on the large figures the pages carry.

`json_script` escapes `<`, `>` and `&` with `str.translate`, which maps the text one character
at a time in Python: 22 ms for the 178 KB of one comparison chart, a tenth of a cold page. The
same three replacements with `str.replace` give the same text (tested) in a tenth of the time.
"""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


def escaped_json(value) -> str:
    """`value` as JSON safe inside a <script> element, as `django.utils.html.json_script`
    writes it."""
    text = json.dumps(value, cls=DjangoJSONEncoder)
    return text.replace("&", "\\u0026").replace("<", "\\u003C").replace(">", "\\u003E")


@register.filter
def figure_script(value, element_id: str):
    """`{{ figure|figure_script:"id" }}`: `{{ figure|json_script:"id" }}`, the same output."""
    script = '<script id="{}" type="application/json">{}</script>'
    return format_html(script, element_id, mark_safe(escaped_json(value)))
