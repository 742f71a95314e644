"""The network page's repeated rows written in Python (networks.templatetags.network_rows) give
the markup of the includes they replace, row for row: the includes as they were are kept here
and rendered beside the tags on the same rows."""

import datetime
import re

import pytest
from django.template import engines

from networks.models import Coding
from networks.models import Evidence
from networks.models import Membership
from networks.models import Participation
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import ParticipationFactory
from tests.factories import SourceFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CODING_ROWS = """{% for coding in codings %}
      <tr>
        {% if show_city %}<td data-label="City">{% if coding.city %}<a href="{{ coding.city.get_absolute_url }}">{{ coding.city.name }}</a>{% else %}—{% endif %}</td>{% endif %}
        {% if show_network %}<td data-label="Network"><a href="{{ coding.network.get_absolute_url }}">{{ coding.network }}</a></td>{% endif %}
        <td data-label="Code">{% include "networks/_code.html" with code=coding.code %}</td>
        <td data-label="Salience">{% include "_salience.html" with value=coding.salience %} <small>{{ coding.salience_label }}</small></td>
        <td data-label="Outcome">{{ coding.get_outcome_display|default:"—" }}</td>
        <td data-label="Perspective">{{ coding.get_perspective_display }}<br><small>coded by {{ coding.coder }}</small></td>
        <td data-label="Evidence" class="evidence-col"><ul class="evidence">
  {% for item in coding.evidence.all %}
    {% include "networks/_evidence_item.html" with kind=item.shown_kind text=item.shown_text visibility=item.visibility original=item.shown_original_text language=item.language source=item.source locator=item.shown_locator %}
  {% empty %}
    <li class="empty">No evidence recorded for this code.</li>
  {% endfor %}
</ul></td>
      </tr>
    {% endfor %}"""  # noqa: E501
MEMBER_ROWS = """{% for membership in memberships %}
        <tr{% if not membership.took_effect %} class="muted"{% endif %}>
          <td data-label="Member"><a href="{{ membership.city.get_absolute_url }}">{{ membership.city.name }}</a></td>
          <td data-label="Country">{{ membership.city.country }}</td>
          <td data-label="Kind">{{ membership.city.get_kind_display }}</td>
{% include "networks/_membership_cells.html" %}
        </tr>
      {% endfor %}"""
PARTICIPANTS = """{% if participations %}<ul class="participants">{% for participation in participations %}
  <li><a href="{{ participation.city.get_absolute_url }}">{{ participation.city.name }}</a>: {{ participation.unit }} <small>({{ participation.get_unit_kind_display|lower }})</small>, {{ participation.get_involvement_display|lower }}{% if participation.since %}, since {% if participation.since_precision == "year" %}{{ participation.since|date:"Y" }}{% elif participation.since_precision == "month" %}{{ participation.since|date:"F Y" }}{% else %}{{ participation.since|date:"j F Y" }}{% endif %}{% endif %}{% if participation.note %} <small>({{ participation.note }})</small>{% endif %}
    <cite class="participant-source" title="{{ participation.source.citation }}">— {% include "networks/_source_label.html" with source=participation.source %}{% if participation.locator %}, {{ participation.locator }}{% endif %}</cite></li>
{% endfor %}</ul>{% else %}<span class="not-coded">none recorded</span>{% endif %}"""  # noqa: E501


def rendered(text: str, **context) -> str:
    html = engines["django"].from_string(text).render(context)
    # Whitespace between tags is the only difference allowed.
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.fixture
def codings():
    network = NetworkFactory(name="Eurocities & friends")
    interview = SourceFactory(
        kind="interview", label="Informant 2", interview_number=2, year=2018, citation='Interview 2 "Oslo" <2018>'
    )
    linked = SourceFactory(url="https://example.org/report?a=1&b=2")
    code = CodeFactory(code="policy", name="Policy <formulation>", definition='Says "policy" & more')
    oslo = CodingFactory(city=CityFactory(name="Oslo & Co"), network=network, code=code, salience=3, outcome="met")
    EvidenceFactory(
        coding=oslo,
        source=interview,
        kind=Evidence.Kind.QUOTE,
        text='We "exchange" <experience>',
        original_text="Erfaringsudveksling",
        language="da",
    )
    EvidenceFactory(coding=oslo, source=linked, locator="", text="A paraphrase.", position=1)
    EvidenceFactory(
        coding=oslo,
        source=linked,
        text="Confidential.",
        visibility=Evidence.Visibility.RESTRICTED,
        position=2,
    )
    EvidenceFactory(
        coding=CodingFactory(city=CityFactory(name="Vejle"), network=network, salience=None, perspective="researcher"),
        source=linked,
        kind=Evidence.Kind.QUOTE,
        text="Verbatim, not for publication.",
        visibility=Evidence.Visibility.PARAPHRASE_ONLY,
        public_paraphrase="Its gist.",
    )
    CodingFactory(city=None, network=network, code=code, salience=0, perspective="network")
    return network


@pytest.mark.parametrize("reader", ["public", "editor"])
@pytest.mark.parametrize("show_city,show_network", [(True, False), (False, True), (False, False)])
def test_coding_rows_are_the_coding_tables_rows(codings, reader, show_city, show_network):
    who = UserFactory(is_superuser=True) if reader == "editor" else None
    rows = list(Coding.objects.filter(network=codings).with_evidence(who).order_by("pk"))
    assert sum(len(coding.evidence.all()) for coding in rows) == 4
    context = {"codings": rows, "show_city": show_city, "show_network": show_network}
    expected = rendered(CODING_ROWS, **context)
    assert rendered("{% load network_rows %}{% coding_rows codings show_city show_network %}", **context) == expected
    assert "Restricted evidence" in expected and "Erfaringsudveksling" in expected and "&quot;" in expected


def test_member_rows_are_the_members_tables_rows():
    network = NetworkFactory()
    MembershipFactory(
        network=network,
        city=CityFactory(name="Aarhus & Co", country="DK"),
        type=Membership.Type.FULL,
        application_round=2,
        listed_on=datetime.date(2020, 3, 4),
        note="Joined <late>",
        source=SourceFactory(url="https://example.org/?list=1&x=2"),
    )
    MembershipFactory(network=network, city=CityFactory(name="Bergen"), took_effect=False, application_round=None)
    MembershipFactory(network=network, city=CityFactory(name="Cork"), joined=datetime.date(2001, 1, 1))
    spells = list(Membership.objects.in_network(network).for_members_table())
    expected = rendered(MEMBER_ROWS, memberships=spells)
    assert rendered("{% load network_rows %}{% member_rows memberships %}", memberships=spells) == expected
    assert 'class="muted"' in expected and "listed on 2020-03-04" in expected and "Joined &lt;late&gt;" in expected


def test_participant_list_is_the_participants_include():
    network = NetworkFactory()
    for index, (day, precision, note, locator) in enumerate(
        [
            (datetime.date(2015, 6, 1), "year", "", ""),
            (datetime.date(2016, 7, 1), "month", "Through <its> agency", "p. 4"),
            (datetime.date(2017, 8, 9), "day", "", "min. 12"),
            (None, "year", "", ""),
        ]
    ):
        ParticipationFactory(
            network=network,
            since=day,
            since_precision=precision,
            note=note,
            locator=locator,
            involvement=Participation.Involvement.REGULAR,
            source=SourceFactory(citation=f'A "study" & <more> {index}'),
        )
    units = list(Participation.objects.filter(network=network).select_related("city", "source").order_by("pk"))
    for participations in (units, []):
        expected = rendered(PARTICIPANTS, participations=participations)
        tag = rendered("{% load network_rows %}{% participant_list participations %}", participations=participations)
        assert tag == expected
    assert "since July 2016" in rendered(PARTICIPANTS, participations=units)
