"""The editor and read-only staff roles made by `manage.py setup_roles`, tried in the admin."""

import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from networks.models import Membership
from networks.services import EDITOR
from networks.services import READ_ONLY_STAFF
from tests.admin_forms import membership_fields
from tests.factories import CityFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns when collectstatic has not run; the admin pages need no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def membership_form(spell: Membership, **changes) -> dict:
    """The spell's admin form, as its change page posts it, with `changes`."""
    saved = {
        "city": spell.city_id,
        "network": spell.network_id,
        "type": spell.type,
        "joined": spell.joined.isoformat(),
        "joined_precision": spell.joined_precision,
        "left_precision": spell.left_precision,
        "listed_on": "",
        "note": "",
    }
    return membership_fields(spell.source, **{**saved, **changes})


def test_setup_roles_is_idempotent():
    out = io.StringIO()
    call_command("setup_roles", stdout=out)
    first = {group.name: set(group.permissions.all()) for group in Group.objects.all()}

    call_command("setup_roles", stdout=out)

    assert {group.name: set(group.permissions.all()) for group in Group.objects.all()} == first
    assert set(first) == {EDITOR, READ_ONLY_STAFF}
    assert "editor: " in out.getvalue()


def test_roles_give_no_permission_on_users_or_groups():
    call_command("setup_roles", stdout=io.StringIO())

    for group in Group.objects.all():
        assert not group.permissions.filter(content_type__app_label="auth").exists()


def test_editor_can_change_a_membership(client, editor):
    client.force_login(editor)
    spell = MembershipFactory(joined=datetime.date(2014, 1, 1))

    response = client.post(
        reverse("admin:networks_membership_change", args=[spell.pk]), membership_form(spell, note="Checked.")
    )

    assert response.status_code == 302
    spell.refresh_from_db()
    assert spell.note == "Checked."
    assert spell.history.latest().history_user == editor


def test_editor_can_add_a_city_and_import_memberships(client, editor):
    client.force_login(editor)

    add_city = client.get(reverse("admin:cities_city_add"))
    membership_import = client.get(reverse("admin:networks_membership_import"))

    assert (add_city.status_code, membership_import.status_code) == (200, 200)


def test_editor_cannot_add_a_user(client, editor):
    client.force_login(editor)

    response = client.get(reverse("admin:auth_user_add"))

    assert response.status_code == 403


def test_editor_cannot_change_a_network(client, editor):
    client.force_login(editor)
    network = NetworkFactory()

    page = client.get(reverse("admin:networks_network_change", args=[network.pk]))

    assert page.status_code == 200  # may view it
    assert not page.context["has_change_permission"]


def test_read_only_staff_can_view_a_membership(client, read_only_staff):
    client.force_login(read_only_staff)
    spell = MembershipFactory()

    changelist = client.get(reverse("admin:networks_membership_changelist"))
    page = client.get(reverse("admin:networks_membership_change", args=[spell.pk]))

    assert changelist.status_code == 200 and page.status_code == 200
    assert not page.context["has_change_permission"]


def test_read_only_staff_cannot_change_a_membership(client, read_only_staff):
    client.force_login(read_only_staff)
    spell = MembershipFactory(joined=datetime.date(2014, 1, 1))

    response = client.post(
        reverse("admin:networks_membership_change", args=[spell.pk]), membership_form(spell, note="Changed.")
    )

    assert response.status_code == 403
    spell.refresh_from_db()
    assert spell.note == ""


def test_read_only_staff_cannot_add_or_import(client, read_only_staff):
    client.force_login(read_only_staff)

    add = client.get(reverse("admin:networks_membership_add"))
    membership_import = client.get(reverse("admin:networks_membership_import"))
    add_city = client.post(reverse("admin:cities_city_add"), {"name": "Oslo", "country": "NO"})

    assert (add.status_code, membership_import.status_code, add_city.status_code) == (403, 403, 403)
    assert not Membership.objects.exists()


def test_read_only_staff_can_export(client, read_only_staff):
    client.force_login(read_only_staff)
    MembershipFactory(city=CityFactory(name="Vejle"), source=SourceFactory())

    response = client.get(reverse("admin:networks_membership_export"))

    assert response.status_code == 200
