"""`{{ value|salience_badge }}` (or `{{ value|salience_badge:title }}`): the salience badge of
_salience.html, without an include per badge: a comparison page's contrasts show 150 of them
(tests/networks/test_matrix_cells.py renders both)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

UNRATED = mark_safe(
    '<span class="salience unrated" title="coded, not rated">○'
    '<span class="visually-hidden"> coded, not rated</span></span>'
)


@register.filter
def salience_badge(value, title: str = ""):
    """A salience 0-3, or None for a coding that was coded but not rated (never shown as 0)."""
    if value is None:
        return UNRATED
    if title:
        return format_html('<span class="salience s{}" title="{}">{}</span>', value, title, value)
    return format_html('<span class="salience s{}">{}</span>', value, value)
