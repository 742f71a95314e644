"""Writes: the models' own rules answer as 400s with readable messages; nested evidence."""

import datetime

import pytest

from cities.models import City
from networks.models import Coding
from networks.models import Evidence
from networks.models import Membership
from networks.models import SubNetwork
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import SubNetworkFactory

pytestmark = pytest.mark.django_db


def membership_payload(write_targets, **changes) -> dict:
    return {
        "city": "oslo",
        "network": "eurocities",
        "joined": "2014-01-01",
        "joined_precision": "year",
        "source": write_targets["source"].pk,
        **changes,
    }


def test_creates_a_membership_and_answers_with_embedded_names(staff_client, write_targets):
    response = staff_client.post(
        "/api/v1/memberships/", membership_payload(write_targets), content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["city_name"] == write_targets["city"].name
    assert Membership.objects.get().joined == datetime.date(2014, 1, 1)


def test_rejects_membership_that_ends_before_it_starts(staff_client, write_targets):
    payload = membership_payload(write_targets, left="2010-12-31")
    response = staff_client.post("/api/v1/memberships/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["A membership cannot end before it starts."]}
    assert not Membership.objects.exists()


def test_rejects_a_change_that_makes_a_membership_end_before_it_starts(staff_client, write_targets):
    membership = MembershipFactory(city=write_targets["city"], network=write_targets["network"])
    response = staff_client.patch(
        f"/api/v1/memberships/{membership.pk}/", {"left": "2001-01-01"}, content_type="application/json"
    )
    assert response.status_code == 400
    membership.refresh_from_db()
    assert membership.left is None


def test_rejects_a_duplicate_membership_spell(staff_client, write_targets):
    MembershipFactory(city=write_targets["city"], network=write_targets["network"], joined=datetime.date(2014, 1, 1))
    response = staff_client.post(
        "/api/v1/memberships/", membership_payload(write_targets), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "This place already has a membership spell of this network starting then."
    ]
    assert Membership.objects.count() == 1


def test_rejects_a_second_undated_spell(staff_client, write_targets):
    MembershipFactory(city=write_targets["city"], network=write_targets["network"], joined=None)
    payload = membership_payload(write_targets, joined=None)
    response = staff_client.post("/api/v1/memberships/", payload, content_type="application/json")
    assert response.status_code == 400
    assert "no start date" in response.json()["non_field_errors"][0]


def test_saving_a_membership_unchanged_is_not_a_duplicate_of_itself(staff_client, write_targets):
    membership = MembershipFactory(
        city=write_targets["city"], network=write_targets["network"], source=write_targets["source"]
    )
    response = staff_client.put(
        f"/api/v1/memberships/{membership.pk}/", membership_payload(write_targets), content_type="application/json"
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"city": "atlantis"}, "city"),
        ({"network": None}, "network"),
        ({"joined": "2014-02-30"}, "joined"),
        ({"type": "honorary"}, "type"),
        ({"joined_precision": "decade"}, "joined_precision"),
        ({"source": 10**12}, "source"),
        ({"application_round": -1}, "application_round"),
        ({"took_effect": "perhaps"}, "took_effect"),
    ],
)
def test_rejects_invalid_membership_fields_naming_the_field(staff_client, write_targets, changes, field):
    response = staff_client.post(
        "/api/v1/memberships/", membership_payload(write_targets, **changes), content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()


def test_rejects_malformed_json(staff_client, write_targets):
    response = staff_client.post("/api/v1/memberships/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_rejects_a_payload_that_is_not_an_object(staff_client, write_targets):
    response = staff_client.post("/api/v1/memberships/", [1, 2], content_type="application/json")
    assert response.status_code == 400


def test_rejects_salience_out_of_range(staff_client, coding_payload):
    response = staff_client.post("/api/v1/codings/", {**coding_payload, "salience": 5}, content_type="application/json")
    assert response.status_code == 400
    assert "salience" in response.json()
    assert not Coding.objects.exists()


def test_rejects_a_city_with_a_lowercase_country(staff_client):
    payload = {"slug": "bergen", "name": "Bergen", "country": "no", "kind": "city"}
    response = staff_client.post("/api/v1/cities/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["country"] == ["Use the two-letter ISO 3166-1 code, e.g. NO."]


def test_rejects_a_city_with_half_a_coordinate(staff_client):
    payload = {"slug": "bergen", "name": "Bergen", "country": "NO", "latitude": 60.4}
    response = staff_client.post("/api/v1/cities/", payload, content_type="application/json")
    assert response.status_code == 400
    assert "latitude" in str(response.json())
    assert not City.objects.filter(slug="bergen").exists()


def test_rejects_a_sub_network_whose_parent_is_in_another_network(staff_client, write_targets):
    parent = SubNetworkFactory()
    payload = {"network": "eurocities", "name": "Mobility", "slug": "mobility", "kind": "forum", "parent": parent.pk}
    response = staff_client.post("/api/v1/subnetworks/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"parent": ["The parent must belong to the same network."]}
    assert not SubNetwork.objects.filter(slug="mobility").exists()


def test_creates_a_coding_with_its_evidence_in_one_request(staff_client, write_targets, coding_payload):
    evidence = [
        {
            "source": write_targets["source"].pk,
            "kind": "paraphrase",
            "text": "Exchange of experience",
            "locator": "p. 67",
        },
        {"source": write_targets["source"].pk, "kind": "quote", "text": "A useful tool", "language": "da"},
    ]
    response = staff_client.post(
        "/api/v1/codings/", {**coding_payload, "evidence": evidence}, content_type="application/json"
    )
    assert response.status_code == 201
    coding = Coding.objects.get()
    assert [(item.text, item.position) for item in coding.evidence.order_by("position")] == [
        ("Exchange of experience", 0),
        ("A useful tool", 1),
    ]
    assert [item["citation"] for item in response.json()["evidence"]] == [
        f"{write_targets['source']}, p. 67",
        str(write_targets["source"]),
    ]


def test_rejects_a_coding_whose_evidence_is_invalid_and_saves_nothing(staff_client, write_targets, coding_payload):
    evidence = [
        {"source": write_targets["source"].pk, "kind": "quote", "text": "Fine"},
        {"source": write_targets["source"].pk, "kind": "rumour", "text": ""},
    ]
    response = staff_client.post(
        "/api/v1/codings/", {**coding_payload, "evidence": evidence}, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()["evidence"]) == {"1"}
    assert set(response.json()["evidence"]["1"]) == {"kind", "text"}
    assert not Coding.objects.exists() and not Evidence.objects.exists()


def test_rejects_the_same_evidence_twice_in_one_coding(staff_client, write_targets, coding_payload):
    item = {"source": write_targets["source"].pk, "kind": "quote", "text": "Twice"}
    response = staff_client.post(
        "/api/v1/codings/", {**coding_payload, "evidence": [item, item]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["evidence"] == {"1": {"text": ["This coding already has this evidence from this source."]}}


def test_updating_evidence_keeps_listed_items_adds_new_ones_and_drops_the_rest(
    staff_client, write_targets, coding_payload
):
    coding = CodingFactory(
        city=write_targets["city"],
        network=write_targets["network"],
        code=write_targets["code"],
        coder=write_targets["coder"],
    )
    kept = EvidenceFactory(coding=coding, text="Kept")
    dropped = EvidenceFactory(coding=coding, text="Dropped")
    evidence = [
        {"id": kept.pk, "source": kept.source_id, "kind": "quote", "text": "Kept, corrected"},
        {"source": write_targets["source"].pk, "kind": "paraphrase", "text": "New"},
    ]
    response = staff_client.put(
        f"/api/v1/codings/{coding.pk}/", {**coding_payload, "evidence": evidence}, content_type="application/json"
    )
    assert response.status_code == 200
    assert [item["text"] for item in response.json()["evidence"]] == ["Kept, corrected", "New"]
    assert not Evidence.objects.filter(pk=dropped.pk).exists()
    kept.refresh_from_db()
    assert (kept.text, kept.kind) == ("Kept, corrected", "quote")


def test_patching_a_coding_without_evidence_leaves_its_evidence(staff_client, write_targets):
    coding = CodingFactory(code=write_targets["code"])
    EvidenceFactory(coding=coding)
    response = staff_client.patch(f"/api/v1/codings/{coding.pk}/", {"salience": 1}, content_type="application/json")
    assert response.status_code == 200
    assert coding.evidence.count() == 1 and len(response.json()["evidence"]) == 1


def test_rejects_evidence_ids_of_another_coding(staff_client, write_targets):
    coding = CodingFactory(code=write_targets["code"])
    foreign = EvidenceFactory()
    evidence = [{"id": foreign.pk, "source": foreign.source_id, "kind": "quote", "text": "Stolen"}]
    response = staff_client.patch(
        f"/api/v1/codings/{coding.pk}/", {"evidence": evidence}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["evidence"] == {"0": {"id": ["This coding has no evidence with this id."]}}
    foreign.refresh_from_db()
    assert foreign.coding_id != coding.pk


def test_rejects_a_code_not_in_the_current_codebook(staff_client, coding_payload):
    response = staff_client.post(
        "/api/v1/codings/", {**coding_payload, "code": "telepathy"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "code" in response.json()


def test_deleting_a_city_that_has_memberships_is_a_409(staff_client, write_targets):
    MembershipFactory(city=write_targets["city"])
    response = staff_client.delete("/api/v1/cities/oslo/")
    assert response.status_code == 409
    assert "membership" in response.json()["detail"]
    assert City.objects.filter(slug="oslo").exists()


def test_deleting_a_coding_deletes_its_evidence(staff_client):
    evidence = EvidenceFactory()
    response = staff_client.delete(f"/api/v1/codings/{evidence.coding_id}/")
    assert response.status_code == 204
    assert not Evidence.objects.exists()


def test_creates_a_network_with_themes_and_offices(staff_client, write_targets):
    from tests.factories import ThemeFactory

    ThemeFactory(slug="resilience")
    payload = {
        "slug": "100rc",
        "name": "100 Resilient Cities",
        "scope": "global",
        "focus": "specialised",
        "themes": ["resilience"],
        "headquarters": "oslo",
        "regional_offices": ["oslo"],
    }
    response = staff_client.post("/api/v1/networks/", payload, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["themes"] == ["resilience"] and response.json()["n_members"] == 0


def test_rejects_a_network_that_ends_before_it_was_founded(staff_client):
    payload = {"slug": "x", "name": "X", "scope": "global", "focus": "general", "founded": 2013, "ended": 2010}
    response = staff_client.post("/api/v1/networks/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"] == ["A network cannot end before it was founded."]


def test_rejects_a_reported_member_count_without_its_date(staff_client):
    payload = {"slug": "x", "name": "X", "scope": "global", "focus": "general", "reported_member_count": 113}
    response = staff_client.post("/api/v1/networks/", payload, content_type="application/json")
    assert response.status_code == 400
    assert "needs the date" in str(response.json())


def test_rejects_a_null_character_in_a_related_key(staff_client, write_targets):
    payload = membership_payload(write_targets, city="os\x00lo")
    response = staff_client.post("/api/v1/memberships/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"city": ["Invalid value."]}


def test_a_key_given_as_a_number_is_refused_even_when_a_row_has_those_digits_as_its_key(staff_client, write_targets):
    # The schema says a place is named by its slug, a string: 0 is not the slug "0".
    from tests.factories import CityFactory

    CityFactory(name="Zero", slug="0")
    response = staff_client.post(
        "/api/v1/memberships/", membership_payload(write_targets, city=0), content_type="application/json"
    )
    assert response.status_code == 400 and response.json() == {"city": ["Invalid value."]}
    offices = {"slug": "x", "name": "X", "scope": "global", "focus": "general", "regional_offices": [0]}
    response = staff_client.post("/api/v1/networks/", offices, content_type="application/json")
    assert response.status_code == 400 and "regional_offices" in response.json()


def test_a_related_id_given_as_text_is_refused(staff_client, write_targets):
    # The schema says a source is named by its id, a whole number: "7" is not 7, nor is true 1.
    for source in (str(write_targets["source"].pk), True):
        payload = membership_payload(write_targets, source=source)
        response = staff_client.post("/api/v1/memberships/", payload, content_type="application/json")
        assert response.status_code == 400 and list(response.json()) == ["source"], source
    payload = membership_payload(write_targets, source=write_targets["source"].pk)
    assert staff_client.post("/api/v1/memberships/", payload, content_type="application/json").status_code == 201


def test_related_lists_are_json_arrays(staff_client, write_targets):
    # DRF would read an object as the list of its keys: {} would empty the network's offices.
    payload = {"slug": "x", "name": "X", "scope": "global", "focus": "general", "regional_offices": {}}
    response = staff_client.post("/api/v1/networks/", payload, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["regional_offices"]
    payload["regional_offices"] = {"oslo": 1}
    assert staff_client.post("/api/v1/networks/", payload, content_type="application/json").status_code == 400
    payload["regional_offices"] = ["oslo"]
    assert staff_client.post("/api/v1/networks/", payload, content_type="application/json").status_code == 201
