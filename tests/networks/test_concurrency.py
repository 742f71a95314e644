"""No lost update: two editors save the same membership or coding; the second is told it
changed meanwhile and nothing of theirs is written (networks.concurrency)."""

import datetime
import threading
import time

import pytest
from django.db import connection
from django.db import connections
from django.db import transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from networks import concurrency
from networks.admin.forms import VersionCheckedForm
from networks.api.serializers import MembershipSerializer
from networks.models import Coding
from networks.models import Evidence
from networks.models import Membership
from tests.admin_forms import page_data
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns when collectstatic has not run; the admin pages need no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def editor(username: str) -> Client:
    client = Client()
    client.force_login(UserFactory(username=username, is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def alice():
    return editor("alice")


@pytest.fixture
def bob():
    return editor("bob")


def errors(response) -> str:
    """The form's and the inlines' error messages on a page shown again."""
    messages = list(response.context["adminform"].form.non_field_errors())
    for inline in response.context.get("inline_admin_formsets", []):
        messages += [message for form in inline.formset.forms for message in form.non_field_errors()]
    return " ".join(messages)


# The version itself.


def test_updated_at_keeps_microseconds_through_the_database():
    spell = MembershipFactory()
    version = datetime.datetime(2026, 1, 5, 10, 0, 0, 123457, tzinfo=datetime.UTC)
    Membership.objects.filter(pk=spell.pk).update(updated_at=version)

    assert Membership.objects.get(pk=spell.pk).updated_at == version
    assert Membership.objects.filter(pk=spell.pk, updated_at=version).exists()


def test_every_save_gives_a_new_version():
    spell = MembershipFactory()
    before = spell.updated_at

    spell.save()

    assert spell.updated_at > before


def test_the_claim_is_one_update_conditional_on_the_version():
    spell = MembershipFactory()

    with CaptureQueriesContext(connection) as queries:
        concurrency.claim(Membership, spell.pk, spell.updated_at)

    [query] = queries.captured_queries
    sql = query["sql"].replace('"', "").replace("`", "")
    assert sql.startswith("UPDATE networks_membership SET updated_at")
    assert "WHERE (networks_membership.id = " in sql and "AND networks_membership.updated_at = " in sql


def test_a_claim_on_an_old_version_changes_nothing():
    spell = MembershipFactory(note="theirs")
    old = spell.updated_at
    spell.save()

    with pytest.raises(concurrency.EditConflict):
        concurrency.claim(Membership, spell.pk, old)

    assert Membership.objects.get(pk=spell.pk).updated_at == spell.updated_at


@pytest.mark.django_db(transaction=True)
def test_of_two_claims_at_the_same_moment_only_the_first_passes():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test database is one connection's; PostgreSQL serves two at once")
    spell = MembershipFactory()
    claimed, second_started, release = threading.Event(), threading.Event(), threading.Event()
    outcome = {}

    def first_editor():
        try:
            with transaction.atomic():
                concurrency.claim(Membership, spell.pk, spell.updated_at)
                claimed.set()
                release.wait(10)
                Membership.objects.filter(pk=spell.pk).update(note="first")
            outcome["first"] = "saved"
        finally:
            connections.close_all()

    def second_editor():
        claimed.wait(10)
        second_started.set()
        try:
            with transaction.atomic():
                concurrency.claim(Membership, spell.pk, spell.updated_at)  # waits for the first's commit
                Membership.objects.filter(pk=spell.pk).update(note="second")
            outcome["second"] = "saved"
        except concurrency.EditConflict:
            outcome["second"] = "refused"
            outcome["refused at"] = time.monotonic()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first_editor), threading.Thread(target=second_editor)]
    for thread in threads:
        thread.start()
    second_started.wait(10)
    time.sleep(0.3)  # the second editor's claim is now waiting on the first's row lock
    released_at = time.monotonic()
    release.set()
    for thread in threads:
        thread.join(10)

    assert outcome.pop("refused at") > released_at  # it waited for the first editor's commit
    assert outcome == {"first": "saved", "second": "refused"}
    assert Membership.objects.get(pk=spell.pk).note == "first"


# The API.


def api_url(record) -> str:
    return f"/api/v1/{'codings' if isinstance(record, Coding) else 'memberships'}/{record.pk}/"


def test_a_read_gives_the_version_as_etag(client):
    spell = MembershipFactory()

    response = client.get(api_url(spell))

    assert response.status_code == 200
    assert response["ETag"] == f'"{spell.pk}-{concurrency.version_token(spell.updated_at)}"'


def test_the_second_api_editor_of_a_membership_gets_412_and_the_first_change_stays(alice, bob):
    spell = MembershipFactory(note="")
    alice_etag = alice.get(api_url(spell))["ETag"]
    bob_etag = bob.get(api_url(spell))["ETag"]

    first = alice.patch(
        api_url(spell), {"note": "alice"}, content_type="application/json", headers={"If-Match": alice_etag}
    )
    second = bob.patch(api_url(spell), {"note": "bob"}, content_type="application/json", headers={"If-Match": bob_etag})

    assert first.status_code == 200
    assert first["ETag"] != alice_etag
    assert second.status_code == 412
    body = second.json()
    assert body["detail"].startswith("This membership was changed by alice at ")
    assert "after you read it. Nothing was saved" in body["detail"]
    assert body["current_etag"] == first["ETag"]
    assert body["current_updated_at"] == first.json()["updated_at"]
    assert Membership.objects.get(pk=spell.pk).note == "alice"


def test_the_second_api_editor_of_a_coding_sending_updated_at_gets_409(alice, bob):
    coding = EvidenceFactory(coding=CodingFactory(salience=1)).coding
    alice_read = alice.get(api_url(coding)).json()
    bob_read = bob.get(api_url(coding)).json()

    first = alice.patch(
        api_url(coding), {"salience": 3, "updated_at": alice_read["updated_at"]}, content_type="application/json"
    )
    second = bob.patch(
        api_url(coding), {"salience": 0, "updated_at": bob_read["updated_at"]}, content_type="application/json"
    )

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["detail"].startswith("This coding was changed by alice at ")
    assert "send it with the new updated_at" in second.json()["detail"]
    assert Coding.objects.get(pk=coding.pk).salience == 3


def test_a_put_with_a_stale_etag_leaves_the_coding_and_its_evidence_as_they_are(staff_client):
    evidence = EvidenceFactory(text="Original.")
    coding = evidence.coding
    etag = staff_client.get(api_url(coding))["ETag"]
    Coding.objects.get(pk=coding.pk).save()  # someone else saves it
    payload = {
        **staff_client.get(api_url(coding)).json(),
        "salience": 0,
        "evidence": [{"kind": "quote", "text": "Replaced.", "source": evidence.source_id, "locator": "p. 2"}],
    }

    response = staff_client.put(api_url(coding), payload, content_type="application/json", headers={"If-Match": etag})

    assert response.status_code == 412
    assert Coding.objects.get(pk=coding.pk).salience == coding.salience
    assert list(Evidence.objects.filter(coding=coding).values_list("text", flat=True)) == ["Original."]


def test_a_stale_etag_is_refused_before_the_body_is_checked(staff_client):
    spell = MembershipFactory()
    etag = staff_client.get(api_url(spell))["ETag"]
    spell.save()

    response = staff_client.patch(
        api_url(spell), {"joined": "not a date"}, content_type="application/json", headers={"If-Match": etag}
    )

    assert response.status_code == 412


def test_a_matching_updated_at_in_the_body_saves(staff_client):
    spell = MembershipFactory(note="")
    read = staff_client.get(api_url(spell)).json()

    response = staff_client.patch(
        api_url(spell), {"note": "checked", "updated_at": read["updated_at"]}, content_type="application/json"
    )

    assert response.status_code == 200
    spell.refresh_from_db()
    assert spell.note == "checked"
    assert response.json()["updated_at"] != read["updated_at"]
    assert response["ETag"] == f'"{spell.pk}-{concurrency.version_token(spell.updated_at)}"'


def test_a_write_naming_no_version_is_accepted(staff_client):
    spell = MembershipFactory(note="")
    spell.save()

    response = staff_client.patch(api_url(spell), {"note": "unconditional"}, content_type="application/json")

    assert response.status_code == 200
    assert Membership.objects.get(pk=spell.pk).note == "unconditional"


def test_if_match_star_accepts_any_version(staff_client):
    spell = MembershipFactory(note="")

    response = staff_client.patch(
        api_url(spell), {"note": "any"}, content_type="application/json", headers={"If-Match": "*"}
    )

    assert response.status_code == 200


def test_a_delete_with_a_stale_etag_is_refused_and_deletes_nothing(staff_client):
    coding = EvidenceFactory().coding
    etag = staff_client.get(api_url(coding))["ETag"]
    Coding.objects.get(pk=coding.pk).save()

    response = staff_client.delete(api_url(coding), headers={"If-Match": etag})

    assert response.status_code == 412
    assert Coding.objects.filter(pk=coding.pk).exists()
    assert Evidence.objects.filter(coding=coding).exists()


def test_a_delete_with_the_current_etag_deletes(staff_client):
    spell = MembershipFactory()
    etag = staff_client.get(api_url(spell))["ETag"]

    response = staff_client.delete(api_url(spell), headers={"If-Match": etag})

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=spell.pk).exists()


def test_a_create_answers_with_the_new_records_etag(staff_client):
    spell = MembershipFactory()
    payload = {
        "city": spell.city.slug,
        "network": spell.network.slug,
        "joined": "2020-01-01",
        "source": spell.source_id,
    }

    response = staff_client.post("/api/v1/memberships/", payload, content_type="application/json")

    assert response.status_code == 201
    created = Membership.objects.get(pk=response.json()["id"])
    assert response["ETag"] == f'"{created.pk}-{concurrency.version_token(created.updated_at)}"'


def test_an_api_save_landing_between_the_check_and_the_write_is_not_overwritten(staff_client, monkeypatch):
    spell = MembershipFactory(note="")
    etag = staff_client.get(api_url(spell))["ETag"]
    validate = MembershipSerializer.validate

    def someone_saves_meanwhile(serializer, attrs):
        # After the If-Match check has passed, before this request's write.
        Membership.objects.filter(pk=spell.pk).update(note="theirs", updated_at=datetime.datetime.now(datetime.UTC))
        return validate(serializer, attrs)

    monkeypatch.setattr(MembershipSerializer, "validate", someone_saves_meanwhile)
    response = staff_client.patch(
        api_url(spell), {"note": "mine"}, content_type="application/json", headers={"If-Match": etag}
    )

    assert response.status_code == 412
    assert Membership.objects.get(pk=spell.pk).note == "theirs"


def test_the_api_write_claims_the_version_before_it_saves(staff_client):
    spell = MembershipFactory(note="")
    etag = staff_client.get(api_url(spell))["ETag"]

    with CaptureQueriesContext(connection) as queries:
        staff_client.patch(
            api_url(spell), {"note": "mine"}, content_type="application/json", headers={"If-Match": etag}
        )

    updates = [
        query["sql"].replace('"', "") for query in queries if query["sql"].startswith('UPDATE "networks_membership"')
    ]
    assert len(updates) == 2
    assert "networks_membership.updated_at = " in updates[0].partition("WHERE")[2]  # the claim, then the save


# The admin.


def membership_page(spell: Membership) -> str:
    return reverse("admin:networks_membership_change", args=[spell.pk])


def coding_page(coding: Coding) -> str:
    return reverse("admin:networks_coding_change", args=[coding.pk])


def test_the_change_page_carries_the_version_it_was_opened_with(alice):
    spell = MembershipFactory()

    page = alice.get(membership_page(spell))

    token = concurrency.version_token(spell.updated_at)
    assert f'<input type="hidden" name="opened_version" value="{token}"' in page.content.decode()


def test_the_second_admin_editor_of_a_membership_is_told_and_nothing_is_written(alice, bob):
    spell = MembershipFactory(note="", application_round=None)
    alice_page, bob_page = alice.get(membership_page(spell)), bob.get(membership_page(spell))

    first = alice.post(membership_page(spell), page_data(alice_page, note="alice"))
    second = bob.post(membership_page(spell), page_data(bob_page, application_round=2))

    assert first.status_code == 302
    assert second.status_code == 200
    message = errors(second)
    assert message.startswith("This membership was changed by alice at ")
    assert "after you opened it. Nothing was saved: reload the page to see their changes" in message
    spell.refresh_from_db()
    assert (spell.note, spell.application_round) == ("alice", None)


def test_an_editor_who_reloads_after_a_conflict_can_save(alice, bob):
    spell = MembershipFactory(note="")
    bob_page = bob.get(membership_page(spell))
    alice.post(membership_page(spell), page_data(alice.get(membership_page(spell)), note="alice"))
    assert bob.post(membership_page(spell), page_data(bob_page, note="bob")).status_code == 200

    response = bob.post(membership_page(spell), page_data(bob.get(membership_page(spell)), note="bob"))

    assert response.status_code == 302
    assert Membership.objects.get(pk=spell.pk).note == "bob"


def test_a_save_of_only_the_evidence_counts_as_a_change_of_the_coding(alice, bob):
    coding = EvidenceFactory(text="Original.", coding=CodingFactory(salience=1)).coding
    alice_page, bob_page = alice.get(coding_page(coding)), bob.get(coding_page(coding))

    first = alice.post(coding_page(coding), page_data(alice_page, **{"evidence-0-text": "Alice's reading."}))
    second = bob.post(coding_page(coding), page_data(bob_page, salience=3, **{"evidence-0-text": "Bob's reading."}))

    assert first.status_code == 302
    assert second.status_code == 200
    assert errors(second).startswith("This coding was changed by alice at ")
    assert Coding.objects.get(pk=coding.pk).salience == 1
    assert list(Evidence.objects.filter(coding=coding).values_list("text", flat=True)) == ["Alice's reading."]


def test_an_admin_save_landing_between_the_check_and_the_write_is_not_overwritten(alice, bob, monkeypatch):
    spell = MembershipFactory(note="")
    bob_page = bob.get(membership_page(spell))
    alice.post(membership_page(spell), page_data(alice.get(membership_page(spell)), note="alice"))
    record_version = VersionCheckedForm.record_version
    checks = []

    def alice_not_yet_committed(form):
        # Bob's first check (in clean()) runs before Alice's save commits: it sees the version Bob opened.
        if hasattr(form, "cleaned_data") and not checks:
            checks.append(form)
            return form.opened_at()
        return record_version(form)

    monkeypatch.setattr(VersionCheckedForm, "record_version", alice_not_yet_committed)
    response = bob.post(membership_page(spell), page_data(bob_page, note="bob"))

    assert len(checks) == 1  # passed once, then the claim refused the save and the page ran again
    assert response.status_code == 200
    assert errors(response).startswith("This membership was changed by alice at ")
    assert Membership.objects.get(pk=spell.pk).note == "alice"


def test_reverting_from_a_page_opened_before_another_save_is_refused(alice, bob):
    spell = MembershipFactory(note="first")
    spell.note = "second"
    spell.save()
    first = spell.history.earliest()
    revert_url = reverse("admin:networks_membership_simple_history", args=[spell.pk, first.history_id])
    revert_page = alice.get(revert_url)
    bob.post(membership_page(spell), page_data(bob.get(membership_page(spell)), note="bob"))

    response = alice.post(revert_url, page_data(revert_page))

    assert response.status_code == 200
    assert "This membership was changed by bob at " in str(response.context["adminform"].form.non_field_errors())
    assert Membership.objects.get(pk=spell.pk).note == "bob"


def city_page(spell: Membership) -> str:
    return reverse("admin:cities_city_change", args=[spell.city_id])


def test_a_spell_changed_on_the_city_page_after_another_save_is_refused(alice, bob):
    spell = MembershipFactory(application_round=None)
    city_page_of_bob = bob.get(city_page(spell))
    alice.post(membership_page(spell), page_data(alice.get(membership_page(spell)), application_round=1))

    response = bob.post(city_page(spell), page_data(city_page_of_bob, **{"memberships-0-application_round": 3}))

    assert response.status_code == 200
    assert errors(response).startswith("This membership was changed by alice at ")
    assert Membership.objects.get(pk=spell.pk).application_round == 1


def test_a_spell_left_untouched_on_the_city_page_does_not_block_its_save(alice, bob):
    spell = MembershipFactory()
    city_page_of_bob = bob.get(city_page(spell))
    alice.post(membership_page(spell), page_data(alice.get(membership_page(spell)), note="alice"))

    response = bob.post(city_page(spell), page_data(city_page_of_bob, coordinates_note="Town hall."))

    assert response.status_code == 302
    assert Membership.objects.get(pk=spell.pk).note == "alice"


def test_the_schema_documents_if_match_etag_and_the_refusals(client):
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]

    for path in ("/api/v1/memberships/{id}/", "/api/v1/codings/{id}/"):
        assert "ETag" in paths[path]["get"]["responses"]["200"]["headers"]
        for method in ("put", "patch", "delete"):
            assert "If-Match" in {parameter["name"] for parameter in paths[path][method]["parameters"]}
            assert "412" in paths[path][method]["responses"]
        for method in ("put", "patch"):
            assert "409" in paths[path][method]["responses"]
            assert "ETag" in paths[path][method]["responses"]["200"]["headers"]
