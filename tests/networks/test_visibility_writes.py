"""Evidence visibility: the model's rules, API writes, the roles and the admin.

Reads on the site, the API and the downloads are in test_visibility.py.
"""

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import Group
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError
from django.db import transaction
from django.urls import reverse

from networks.importing.resources import CodingResource
from networks.models import Evidence
from networks.services import EDITOR
from networks.services import READ_ONLY_STAFF
from networks.visibility import OPERATOR
from networks.visibility import can_see_restricted
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import SourceFactory
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns when collectstatic has not run; the admin pages need no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

RESTRICTED = "SECRET-RESTRICTED confidential words of the mayor"
PARAPHRASE = "PARAPHRASE-SHOWN the city learns from its peers"


@pytest.fixture
def coding(write_targets):
    """Oslo's coding in Eurocities with a public, a paraphrase-only and a restricted item."""
    coding = CodingFactory(
        city=write_targets["city"],
        network=write_targets["network"],
        code=write_targets["code"],
        coder=write_targets["coder"],
    )
    source = SourceFactory(label="Interview 3")
    EvidenceFactory(coding=coding, source=source, text="PUBLIC-QUOTE exchange", position=0)
    EvidenceFactory(
        coding=coding,
        source=source,
        text="SECRET-VERBATIM for the money",
        visibility=Evidence.Visibility.PARAPHRASE_ONLY,
        public_paraphrase=PARAPHRASE,
        position=1,
    )
    EvidenceFactory(
        coding=coding,
        source=source,
        text=RESTRICTED,
        visibility=Evidence.Visibility.RESTRICTED,
        locator="SECRET-LOCATOR",
        position=2,
    )
    return coding


# --- the model ---------------------------------------------------------------------------


def test_evidence_is_public_unless_marked_otherwise():
    assert EvidenceFactory().visibility == Evidence.Visibility.PUBLIC


def test_paraphrase_only_evidence_needs_its_public_paraphrase():
    evidence = EvidenceFactory.build(
        coding=CodingFactory(), source=SourceFactory(), visibility=Evidence.Visibility.PARAPHRASE_ONLY
    )

    with pytest.raises(ValidationError) as error:
        evidence.full_clean()

    assert error.value.message_dict == {
        "public_paraphrase": ["Paraphrase-only evidence needs the public paraphrase that may be shown."]
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        evidence.save()


def test_the_database_refuses_an_unknown_visibility():
    with pytest.raises(IntegrityError), transaction.atomic():
        EvidenceFactory(visibility="secret")


def test_a_name_in_a_list_never_shows_text_that_is_not_public(coding):
    names = sorted(str(item) for item in Evidence.objects.all())

    assert names == [
        "Paraphrase from Interview 3 (paraphrase only)",
        "Paraphrase from Interview 3 (restricted)",
        "Paraphrase from Interview 3: PUBLIC-QUOTE exchange",
    ]


# --- roles -------------------------------------------------------------------------------


def test_who_may_read_restricted_evidence():
    permitted = UserFactory()
    permitted.user_permissions.add(Permission.objects.get(codename="view_restricted_evidence"))

    assert can_see_restricted(permitted)
    assert can_see_restricted(UserFactory(is_superuser=True))
    assert can_see_restricted(OPERATOR)  # a command-line export with --include-restricted
    assert not can_see_restricted(UserFactory(is_superuser=True, is_active=False))
    assert not can_see_restricted(UserFactory(is_staff=True))
    assert not can_see_restricted(AnonymousUser())
    assert not can_see_restricted(None)


def test_editors_may_read_restricted_evidence_and_read_only_staff_may_not():
    call_command("setup_roles", stdout=io.StringIO())
    permission = Permission.objects.get(codename="view_restricted_evidence")

    assert permission in Group.objects.get(name=EDITOR).permissions.all()
    assert permission not in Group.objects.get(name=READ_ONLY_STAFF).permissions.all()


# --- API writes --------------------------------------------------------------------------


def test_staff_write_the_visibility_and_the_public_paraphrase(staff_client, write_targets, coding_payload):
    item = {
        "source": write_targets["source"].pk,
        "kind": "quote",
        "text": RESTRICTED,
        "visibility": "paraphrase",
        "public_paraphrase": PARAPHRASE,
    }

    response = staff_client.post(
        "/api/v1/codings/", {**coding_payload, "evidence": [item]}, content_type="application/json"
    )

    assert response.status_code == 201
    assert response.json()["evidence"][0]["text"] == RESTRICTED  # a superuser reads it verbatim
    assert Evidence.objects.get().public_paraphrase == PARAPHRASE


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"visibility": "paraphrase"},
            {"public_paraphrase": ["Paraphrase-only evidence needs the public paraphrase that may be shown."]},
        ),
        ({"visibility": "secret"}, {"visibility": ['"secret" is not a valid choice.']}),
    ],
)
def test_api_refuses_evidence_with_a_bad_visibility(staff_client, write_targets, coding_payload, changes, errors):
    item = {"source": write_targets["source"].pk, "kind": "quote", "text": "Exchange.", **changes}

    response = staff_client.post(
        "/api/v1/codings/", {**coding_payload, "evidence": [item]}, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"evidence": {"0": errors}}  # keyed by the item's index
    assert not Evidence.objects.exists()


def test_staff_who_may_not_read_restricted_evidence_may_not_replace_it(client, coding):
    # Allowed to change codings, not to read restricted evidence (a role of one's own making).
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_coding", content_type__app_label="networks"))
    client.force_login(user)
    url = f"/api/v1/codings/{coding.pk}/"
    shown = client.get(url).json()

    response = client.put(url, shown, content_type="application/json")

    assert response.status_code == 400
    assert "may not read" in response.json()["evidence"][0]
    assert set(coding.evidence.values_list("text", flat=True)) == {
        "PUBLIC-QUOTE exchange",
        "SECRET-VERBATIM for the money",
        RESTRICTED,
    }
    assert client.patch(url, {"salience": 1}, content_type="application/json").status_code == 200


def test_editors_read_and_write_back_every_item_unchanged(client, editor, coding):
    client.force_login(editor)
    url = f"/api/v1/codings/{coding.pk}/"

    response = client.put(url, client.get(url).json(), content_type="application/json")

    assert response.status_code == 200
    assert list(coding.evidence.order_by("position").values_list("visibility", "text", "locator")) == [
        ("public", "PUBLIC-QUOTE exchange", "p. 1"),
        ("paraphrase", "SECRET-VERBATIM for the money", "p. 1"),
        ("restricted", RESTRICTED, "SECRET-LOCATOR"),
    ]


# --- the admin ---------------------------------------------------------------------------


def admin_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_read_only_staff_see_evidence_in_the_admin_as_the_public_does(client, read_only_staff, coding):
    client.force_login(read_only_staff)
    restricted = coding.evidence.get(visibility=Evidence.Visibility.RESTRICTED)
    pages = [
        reverse("admin:networks_evidence_changelist"),
        reverse("admin:networks_evidence_change", args=[restricted.pk]),
        reverse("admin:networks_coding_change", args=[coding.pk]),
        reverse("admin:networks_evidence_changelist") + "?q=confidential",
        reverse("admin:networks_coding_changelist") + "?q=confidential",
    ]

    for url in pages:
        assert "SECRET" not in admin_text(client, url)
    assert PARAPHRASE in admin_text(client, pages[0])
    assert "0 evidence" in admin_text(client, pages[3]) and "0 codings" in admin_text(client, pages[4])
    history = reverse("admin:networks_evidence_history", args=[restricted.pk])
    assert client.get(history).status_code == 403


def test_editors_see_and_edit_every_text_in_the_admin(client, editor, coding):
    client.force_login(editor)
    restricted = coding.evidence.get(visibility=Evidence.Visibility.RESTRICTED)

    assert RESTRICTED in admin_text(client, reverse("admin:networks_evidence_changelist"))
    page = admin_text(client, reverse("admin:networks_coding_change", args=[coding.pk]))
    assert RESTRICTED in page and 'name="evidence-2-public_paraphrase"' in page
    assert 'name="visibility"' in admin_text(client, reverse("admin:networks_evidence_change", args=[restricted.pk]))
    assert client.get(reverse("admin:networks_evidence_history", args=[restricted.pk])).status_code == 200


def export(client) -> str:
    fields = {f"codingresource_{column}": "on" for column in CodingResource.columns()}
    response = client.post(reverse("admin:networks_coding_export"), {"format": "0", "resource": "0", **fields})
    assert response.status_code == 200
    return response.content.decode("utf-8-sig")


def test_admin_export_by_read_only_staff_leaves_out_the_text_they_may_not_read(client, read_only_staff, coding):
    client.force_login(read_only_staff)

    content = export(client)

    assert "SECRET" not in content
    assert PARAPHRASE in content and "PUBLIC-QUOTE exchange" in content
    assert len(content.strip().splitlines()) == 4  # the header and every item, restricted ones too


def test_admin_export_by_editors_holds_every_text_and_its_visibility(client, editor, coding):
    client.force_login(editor)

    content = export(client)

    assert RESTRICTED in content and "SECRET-VERBATIM for the money" in content
    assert content.splitlines()[0].endswith("evidence_visibility,evidence_public_paraphrase")
