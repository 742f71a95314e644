"""Every change to memberships, codings and evidence is recorded, and can be reverted."""

import datetime

import pytest
from django.urls import reverse

from networks.models import Coding
from networks.models import Evidence
from networks.models import Membership
from tests.admin_forms import page_data
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns when collectstatic has not run; the admin pages need no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def change_round(client, spell: Membership, application_round: int):
    url = reverse("admin:networks_membership_change", args=[spell.pk])
    return client.post(url, page_data(client.get(url), application_round=application_round))


def test_a_change_in_the_admin_is_recorded_with_who_and_when(staff_client, staff_user):
    spell = MembershipFactory(application_round=1)

    response = change_round(staff_client, spell, 2)

    assert response.status_code == 302
    change = spell.history.latest()
    assert (change.history_type, change.history_user, change.application_round) == ("~", staff_user, 2)
    assert change.history_date.date() == datetime.date.today()
    assert change.prev_record.application_round == 1


def test_the_history_page_lists_the_changes_and_who_made_them(staff_client, staff_user):
    spell = MembershipFactory(application_round=1)
    change_round(staff_client, spell, 2)

    response = staff_client.get(reverse("admin:networks_membership_history", args=[spell.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert staff_user.username in page
    assert "Application round" in page  # the field that changed


def test_reverting_restores_an_earlier_version(staff_client):
    spell = MembershipFactory(application_round=1, note="First reading.")
    first = spell.history.earliest()
    change_round(staff_client, spell, 2)
    revert_url = reverse("admin:networks_membership_simple_history", args=[spell.pk, first.history_id])

    page = staff_client.get(revert_url)
    response = staff_client.post(revert_url, page_data(page))

    assert response.status_code == 302
    spell.refresh_from_db()
    assert (spell.application_round, spell.note) == (1, "First reading.")
    assert list(spell.history.values_list("history_type", "application_round")) == [
        ("~", 1),
        ("~", 2),
        ("+", 1),
    ]


def test_codings_and_their_evidence_keep_their_history(staff_client):
    evidence = EvidenceFactory()
    coding, evidence_id = evidence.coding, evidence.pk
    coding.salience = 3
    coding.save()

    evidence.delete()

    assert list(coding.history.values_list("history_type", "salience")) == [("~", 3), ("+", 2)]
    assert list(Evidence.history.filter(id=evidence_id).values_list("history_type", flat=True)) == ["-", "+"]


def test_the_coding_history_page_loads(staff_client):
    coding = CodingFactory()

    response = staff_client.get(reverse("admin:networks_coding_history", args=[coding.pk]))

    assert response.status_code == 200
    assert isinstance(response.context["object"], Coding)
