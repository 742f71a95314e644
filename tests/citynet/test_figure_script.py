import datetime
import decimal

from django.template import Context
from django.template import Template
from django.utils.html import json_script

from citynet.templatetags.figures import figure_script

AWKWARD = {
    "text": "</script><script>alert('x') & \"quotes\" <b>",
    "unicode": "København – Zürich \u2028 \u2029 ☃",
    "numbers": [0, -1.5, 1e16, None, True],
    "when": datetime.date(2024, 3, 1),
    "amount": decimal.Decimal("1.10"),
    "nested": [{"a": ["<>&"]}],
}


def test_figure_script_writes_exactly_what_json_script_writes():
    assert figure_script(AWKWARD, "chart-1-data") == json_script(AWKWARD, "chart-1-data")
    assert figure_script(AWKWARD, 'odd"id<') == json_script(AWKWARD, 'odd"id<')


def test_a_figure_cannot_close_its_script_element():
    html = Template('{% load figures %}{{ figure|figure_script:"f" }}').render(Context({"figure": AWKWARD}))
    assert html.count("</script>") == 1 and html.endswith("</script>")
    assert "<b>" not in html and "\\u003C/script\\u003E" in html
