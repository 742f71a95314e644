"""The repeated rows of a network page written in Python: `{% coding_rows codings %}` (the
rows of _coding_table.html), `{% coding_evidence coding %}` (_evidence.html), `{% member_rows
memberships %}` (the members table) and `{% participant_list participations %}`
(_participants.html).

A network page lists 57 codings with their evidence, 100 membership spells and 50 units taking
part: with an include (or three) per row, each a new template context, rendering them was a
third of the page's first build (issue 15). The markup is the includes', row for row
(tests/networks/test_network_rows.py renders both).
"""

from django import template
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from networks.templatetags.badges import salience_badge
from networks.templatetags.evidence_items import evidence_item

register = template.Library()

NO_EVIDENCE = '<li class="empty">No evidence recorded for this code.</li>'
# How _participants.html writes a start date of each precision.
SINCE_FORMATS = {"year": "Y", "month": "F Y"}
MUTED = ' class="muted"'


def _text(value) -> str:
    return "" if value is None else conditional_escape(value)


def code_badge(code) -> str:
    """A code's name as a badge linking to the codebook (networks/_code.html)."""
    title = f' title="{conditional_escape(code.definition)}"' if code.definition else ""
    return (
        f'<a class="code code-{conditional_escape(code.kind)}" href="{reverse("networks:home")}'
        f'#code-{conditional_escape(code.code)}"{title}>{conditional_escape(code.name)}</a>'
    )


def _item(evidence) -> dict:
    """An Evidence (with source, as `Evidence.objects.for_reader()` reads it) in the shape
    `evidence_item` takes (`aggregates.evidence_details`)."""
    source = evidence.source
    return {
        "kind": evidence.shown_kind,
        "text": evidence.shown_text,
        "visibility": evidence.visibility,
        "original_text": evidence.shown_original_text,
        "language": evidence.language,
        "locator": evidence.shown_locator,
        "source_detail": {
            "short_label": source.short_label,
            "citation": source.citation,
            "url": source.url,
            "kind": source.kind,
            "interview_number": source.interview_number,
            "label": source.label,
        },
    }


@register.simple_tag
def coding_evidence(coding) -> str:
    """The list of a coding's evidence (prefetched, as the reader may see it)."""
    items = [evidence_item(_item(evidence)) for evidence in coding.evidence.all()]
    return mark_safe('<ul class="evidence">' + ("".join(items) or NO_EVIDENCE) + "</ul>")


@register.simple_tag
def coding_rows(codings, show_city: bool = False, show_network: bool = False) -> str:
    """A <tr> per coding (with city, network, code, coder and evidence): its city or network
    where asked, code, salience, outcome, perspective and coder, and evidence."""
    rows = []
    for coding in codings:
        cells = ["<tr>"]
        if show_city:
            city = coding.city
            where = f'<a href="{city.get_absolute_url()}">{_text(city.name)}</a>' if city else "—"
            cells.append(f'<td data-label="City">{where}</td>')
        if show_network:
            network = coding.network
            cells.append(f'<td data-label="Network"><a href="{network.get_absolute_url()}">{_text(network)}</a></td>')
        cells += [
            f'<td data-label="Code">{code_badge(coding.code)}</td>',
            f'<td data-label="Salience">{salience_badge(coding.salience)} '
            f"<small>{_text(coding.salience_label)}</small></td>",
            f'<td data-label="Outcome">{_text(coding.get_outcome_display() or "—")}</td>',
            f'<td data-label="Perspective">{_text(coding.get_perspective_display())}<br>'
            f"<small>coded by {_text(coding.coder)}</small></td>",
            f'<td data-label="Evidence" class="evidence-col">{coding_evidence(coding)}</td>',
            "</tr>",
        ]
        rows.append("".join(cells))
    return mark_safe("\n".join(rows))


def membership_cells(membership) -> str:
    """The type, round, period and source cells of a membership spell (with source)."""
    period = _text(membership.period)
    if membership.listed_on:
        period += f"<br><small>listed on {format_date(membership.listed_on, 'Y-m-d')}</small>"
    if membership.note:
        period += f"<br><small>{_text(membership.note)}</small>"
    source = membership.source
    if source.url:
        cited = f'<a href="{conditional_escape(source.url)}" rel="noopener">{_text(source.short_label)}</a>'
    else:
        cited = _text(source)
    round_ = membership.application_round
    return (
        f'<td data-label="Type">{_text(membership.get_type_display())}</td>'
        f'<td data-label="Round">{"—" if not round_ else round_}</td>'
        f'<td data-label="Period">{period}</td>'
        f'<td data-label="Source" class="source">{cited}</td>'
    )


@register.simple_tag
def member_rows(memberships) -> str:
    """A <tr> per membership spell (with city and source): the member, its country and kind,
    then `membership_cells`; a spell that never took effect is muted."""
    rows = []
    for membership in memberships:
        city = membership.city
        rows.append(
            f"<tr{'' if membership.took_effect else MUTED}>"
            f'<td data-label="Member"><a href="{city.get_absolute_url()}">{_text(city.name)}</a></td>'
            f'<td data-label="Country">{_text(city.country)}</td>'
            f'<td data-label="Kind">{_text(city.get_kind_display())}</td>'
            f"{membership_cells(membership)}</tr>"
        )
    return mark_safe("\n".join(rows))


@register.simple_tag
def participant_list(participations) -> str:
    """The units of member cities taking part (with city and source), each with its source;
    "none recorded" when there are none."""
    if not participations:
        return mark_safe('<span class="not-coded">none recorded</span>')
    items = []
    for participation in participations:
        city, source = participation.city, participation.source
        since = ""
        if participation.since:
            shape = SINCE_FORMATS.get(participation.since_precision, "j F Y")
            since = f", since {format_date(participation.since, shape)}"
        note = f" <small>({_text(participation.note)})</small>" if participation.note else ""
        locator = f", {_text(participation.locator)}" if participation.locator else ""
        items.append(
            f'<li><a href="{city.get_absolute_url()}">{_text(city.name)}</a>: {_text(participation.unit)} '
            f"<small>({_text(participation.get_unit_kind_display().lower())})</small>, "
            f"{_text(participation.get_involvement_display().lower())}{since}{note}\n"
            f'    <cite class="participant-source" title="{conditional_escape(source.citation)}">— '
            f"{_text(source.short_label)}{locator}</cite></li>"
        )
    return mark_safe('<ul class="participants">' + "\n".join(items) + "</ul>")
