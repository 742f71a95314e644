"""Nothing is lost: deleting a city, network or source that codings or evidence rest on is
refused, and `manage.py backup` / `manage.py restore` bring every row back."""

import io
import json

import pytest
from django.contrib.admin.models import CHANGE
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import ProtectedError
from rest_framework.authtoken.models import Token

from cities.models import City
from networks.management.commands.backup import NOT_BACKED_UP
from networks.management.commands.backup import backed_up_models
from networks.management.commands.restore import empty_database
from networks.models import Coding
from networks.models import Evidence
from networks.models import Network
from networks.models import Source
from networks.models import SubNetwork
from networks.services import EDITOR
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import ParticipationFactory
from tests.factories import SubNetworkFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- Deleting is refused where it would take codings or evidence with it -------------------


@pytest.fixture
def evidence():
    return EvidenceFactory()


@pytest.mark.parametrize("owner", ["coding.city", "coding.network", "source", "coding.code", "coding.coder"])
def test_deleting_what_a_coding_or_its_evidence_rests_on_is_refused(evidence, owner):
    target = evidence
    for name in owner.split("."):
        target = getattr(target, name)
    with pytest.raises(ProtectedError):
        target.delete()
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_deleting_a_coding_takes_its_evidence_with_it(evidence):
    # The admin's confirmation page lists the evidence first (below); the API answers 204.
    evidence.coding.delete()
    assert not Evidence.objects.exists()


def test_deleting_a_network_takes_its_unused_sub_networks_with_it():
    subnetwork = SubNetworkFactory()
    subnetwork.network.delete()
    assert not SubNetwork.objects.exists()


def test_a_sub_network_someone_takes_part_in_keeps_its_network():
    subnetwork = SubNetworkFactory()
    ParticipationFactory(network=subnetwork.network, subnetwork=subnetwork)
    with pytest.raises(ProtectedError):
        subnetwork.network.delete()


@pytest.mark.parametrize(
    "model, owner",
    [("cities/city", "coding.city"), ("networks/network", "coding.network"), ("networks/source", "source")],
)
def test_admin_shows_what_protects_a_record_and_keeps_it(staff_client, evidence, model, owner):
    target = evidence
    for name in owner.split("."):
        target = getattr(target, name)
    url = f"/admin/{model}/{target.pk}/delete/"
    page = staff_client.get(url).content.decode()
    assert "would require deleting the following protected related objects" in page
    assert "Yes, I’m sure" not in page
    response = staff_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert type(target).objects.filter(pk=target.pk).exists()
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_admin_lists_the_evidence_that_goes_with_a_coding(staff_client, evidence):
    page = staff_client.get(f"/admin/networks/coding/{evidence.coding.pk}/delete/").content.decode()
    assert "Yes, I’m sure" in page
    assert f"/admin/networks/evidence/{evidence.pk}/change/" in page


# --- Backup and restore -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_content_types():
    # A flush rebuilds content types with new ids; the test's rollback takes them away again.
    yield
    ContentType.objects.clear_cache()


def natural(value):
    """A row's reference as something that survives a restore: content types and permissions
    are rebuilt by migrate with new ids, so they compare by name."""
    if isinstance(value, ContentType):
        return ("contenttype", value.app_label, value.model)
    if isinstance(value, Permission):
        return ("permission", value.content_type.app_label, value.codename)
    return value.pk


def snapshot() -> dict[str, list[dict]]:
    """Every backed-up row, field by field, with its many-to-many links, in id order."""
    tables = {}
    for model in backed_up_models():
        rows = []
        for instance in model._base_manager.order_by("pk"):
            row = {}
            for field in model._meta.concrete_fields:
                if field.is_relation and field.related_model in (ContentType, Permission):
                    related = getattr(instance, field.name)
                    row[field.name] = natural(related) if related is not None else None
                else:
                    row[field.attname] = getattr(instance, field.attname)
            for field in model._meta.many_to_many:
                row[field.name] = sorted(natural(item) for item in getattr(instance, field.name).all())
            rows.append(row)
        tables[model._meta.label] = rows
    return tables


@pytest.fixture
def citynet():
    """The study and both member lists, plus what editors add: roles, a staff user with an API
    token, an edit recorded in the change history and the admin's log."""
    call_command("load_citynet", stdout=io.StringIO())
    editor = UserFactory(is_staff=True, role=EDITOR)
    editor.user_permissions.add(Permission.objects.get(codename="view_city"))
    Token.objects.create(user=editor)
    evidence = Evidence.objects.order_by("pk").first()
    evidence.text += " (checked)"
    evidence._history_user = editor
    evidence.save()
    LogEntry.objects.log_actions(editor.pk, [evidence], CHANGE, change_message="Checked the quote.")
    return editor


def test_backup_and_restore_into_an_empty_database_bring_back_every_row(citynet, tmp_path):
    before = snapshot()
    assert all(before[label] for label in ["networks.Coding", "networks.HistoricalEvidence", "auth.Group"])
    path = tmp_path / "citynet.json.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    empty_database()  # as a new database is, after `manage.py migrate`
    assert not any(snapshot().values())

    out = io.StringIO()
    call_command("restore", str(path), stdout=out)

    assert snapshot() == before
    assert f"networks.Coding: {Coding.objects.count()}" in out.getvalue()


def test_restore_refuses_a_database_that_holds_data(citynet, tmp_path):
    path = tmp_path / "citynet.json"
    call_command("backup", str(path), stdout=io.StringIO())
    City.objects.filter(slug="oslo").update(name="Changed")
    with pytest.raises(CommandError, match="The database is not empty .* give --force"):
        call_command("restore", str(path))
    assert City.objects.get(slug="oslo").name == "Changed"


def test_restore_with_force_replaces_what_the_database_holds(citynet, tmp_path):
    before = snapshot()
    path = tmp_path / "citynet.json.xz"
    call_command("backup", str(path), stdout=io.StringIO())
    City.objects.filter(slug="oslo").update(name="Changed")
    Evidence.objects.order_by("pk").last().delete()
    UserFactory()

    call_command("restore", str(path), "--force", stdout=io.StringIO())

    assert snapshot() == before


def test_a_restore_that_fails_leaves_the_database_as_it_was(citynet, tmp_path):
    before = snapshot()
    path = tmp_path / "broken.json"
    path.write_text(json.dumps([{"model": "networks.evidence", "pk": 1, "fields": {"coding": 999999}}]))
    with pytest.raises(Exception):  # noqa: B017 - whichever error the database raises
        call_command("restore", str(path), "--force", stdout=io.StringIO())
    assert snapshot() == before


def test_backup_holds_the_data_and_accounts_but_nothing_rebuilt_or_temporary(citynet, tmp_path):
    path = tmp_path / "citynet.json"
    call_command("backup", str(path), stdout=io.StringIO())
    models = {row["model"] for row in json.loads(path.read_text())}
    assert {"cities.city", "networks.coding", "networks.evidence", "networks.historicalevidence"} <= models
    assert {"auth.user", "auth.group", "authtoken.token", "admin.logentry"} <= models
    assert not models & {"contenttypes.contenttype", "auth.permission", "sessions.session", "axes.accessattempt"}
    assert not models & NOT_BACKED_UP
    # Written only when complete, and readable by its owner alone: it holds password hashes.
    assert [item.name for item in tmp_path.iterdir()] == ["citynet.json"]
    assert path.stat().st_mode & 0o077 == 0


def test_every_model_of_the_apps_is_backed_up_unless_deliberately_left_out():
    from django.apps import apps

    labels = {model._meta.label_lower for model in backed_up_models()}
    for app in ("cities", "networks"):
        for model in apps.get_app_config(app).get_models():
            assert (model._meta.label_lower in labels) != (model._meta.label_lower in NOT_BACKED_UP)
    assert {"networks.historicalcoding", "networks.historicalevidence", "networks.historicalmembership"} <= labels


def test_backup_refuses_a_name_restore_could_not_read(tmp_path):
    with pytest.raises(CommandError, match="must end with one of .json"):
        call_command("backup", str(tmp_path / "citynet.bak"))


def test_restore_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No backup at"):
        call_command("restore", str(tmp_path / "nothing.json"))


def test_membership_and_network_records_keep_their_sources():
    membership = MembershipFactory()
    with pytest.raises(ProtectedError):
        membership.source.delete()
    with pytest.raises(ProtectedError):
        Network.objects.filter(pk=membership.network.pk).delete()
    assert Source.objects.filter(pk=membership.source.pk).exists()
