"""Merging a duplicate place into the one that stays (networks.places_merge), through the
admin, with its history, the old address's redirect, and the conflicts that refuse it."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from cities.models import City
from cities.models import PlaceDecision
from cities.models import PlaceRedirect
from networks.models import Coding
from networks.models import EngagementObservation
from networks.models import Membership
from networks.models import Participation
from networks.places_merge import MergeRefused
from networks.places_merge import merge_places
from networks.places_merge import merge_plan
from networks.places_merge import place_relations
from networks.places_merge import relation_label
from tests.factories import CityFactory
from tests.factories import CodingFactory
from tests.factories import EngagementObservationFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import ParticipationFactory
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

MERGE = reverse("admin:cities_city_merge")
CHANGELIST = reverse("admin:cities_city_changelist")


@pytest.fixture
def kept(db):
    return CityFactory(name="Düsseldorf", slug="dusseldorf-de", country="DE", wikidata_id="", latitude=51.22)


@pytest.fixture
def duplicate(db):
    """Düsseldorf again, as an import created it: without accents, with a Wikidata id."""
    return CityFactory(
        name="Dusseldorf", slug="dusseldorf-de-2", country="DE", geonames_id=None, wikidata_id="Q1718", latitude=51.23
    )


def merge_url(keep: City, merge: City) -> str:
    return f"{MERGE}?keep={keep.pk}&merge={merge.pk}"


def one_row_of_everything(place: City) -> dict:
    """A row of every kind that points at `place`."""
    network = NetworkFactory(headquarters=place)
    network.regional_offices.add(place)
    coding = CodingFactory(city=place, network=network)
    return {
        "membership": MembershipFactory(city=place, network=network),
        "coding": coding,
        "evidence": EvidenceFactory(coding=coding),
        "participation": ParticipationFactory(city=place, network=network),
        "observation": EngagementObservationFactory(city=place, network=network),
        "network": network,
        "decision": PlaceDecision.objects.create(key="dusseldorf", country="DE", city=place),
        "earlier": PlaceRedirect.objects.create(
            old_slug="duesseldorf-de", city=place, old_id=999, old_name="Duesseldorf", old_country="DE"
        ),
    }


# --- the service ----------------------------------------------------------------


def test_every_relation_to_a_place_is_known():
    # A new model pointing at a place is moved by the merge as it is; add a row of it to
    # one_row_of_everything() and its label here, so the merge is shown to move it.
    assert sorted(relation_label(field) for field in place_relations()) == [
        "codings",
        "engagement observations",
        "history entries of codings",
        "history entries of memberships",
        "memberships",
        "merged places",
        "networks (head office)",
        "participations",
        "place decisions",
        "regional offices of networks",
    ]


def test_merge_moves_every_row_that_points_at_the_place(kept, duplicate):
    rows = one_row_of_everything(duplicate)

    plan = merge_places(merged=duplicate, survivor=kept)

    assert not City.objects.filter(pk=duplicate.pk).exists()
    for name in ("membership", "coding", "participation", "observation", "decision", "earlier"):
        rows[name].refresh_from_db()
        assert rows[name].city_id == kept.pk, name
    rows["network"].refresh_from_db()
    assert rows["network"].headquarters_id == kept.pk
    assert list(rows["network"].regional_offices.all()) == [kept]
    assert list(rows["coding"].evidence.all()) == [rows["evidence"]]
    assert plan.moves["membership"] == 1
    assert plan.moves["regional office of networks"] == 1
    # Nothing anywhere still points at the merged place.
    for field in place_relations():
        assert not field.model._base_manager.filter(**{field.name: duplicate.pk}).exists(), field.model


def test_merge_leaves_no_place_twice_among_a_networks_regional_offices(kept, duplicate):
    network = NetworkFactory()
    network.regional_offices.add(kept, duplicate)

    merge_places(merged=duplicate, survivor=kept)

    assert list(network.regional_offices.all()) == [kept]


def test_merge_fills_in_what_the_surviving_place_lacks_and_keeps_the_rest(kept, duplicate):
    merge_places(merged=duplicate, survivor=kept)

    kept.refresh_from_db()
    assert kept.wikidata_id == "Q1718"  # the survivor had none
    assert kept.name == "Düsseldorf"
    assert kept.latitude == 51.22  # the survivor's own point stays


def test_merge_moves_the_history_and_records_the_merge_in_it(kept, duplicate):
    spell = MembershipFactory(city=duplicate)
    spell.note = "Checked against the 2019 list."
    spell.save()
    editor = UserFactory(is_staff=True)

    merge_places(merged=duplicate, survivor=kept, user=editor)

    history = list(spell.history.order_by("history_date"))
    assert [record.city_id for record in history] == [kept.pk, kept.pk, kept.pk]
    latest = history[-1]
    assert latest.history_change_reason.startswith(f"Place merged: Dusseldorf (DE) (id {duplicate.pk}) into")
    assert latest.history_user == editor
    redirect = PlaceRedirect.objects.get(old_slug="dusseldorf-de-2")
    assert (redirect.city, redirect.old_name, redirect.merged_by) == (kept, "Dusseldorf", editor.username)
    # Counted before the merge added its own history entry.
    assert redirect.moved == "1 membership, 2 history entries of memberships"


def test_merge_runs_in_one_transaction(kept, duplicate, monkeypatch):
    spell = MembershipFactory(city=duplicate)

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(PlaceRedirect.objects, "update_or_create", fail)
    with pytest.raises(RuntimeError):
        merge_places(merged=duplicate, survivor=kept)

    spell.refresh_from_db()
    assert spell.city_id == duplicate.pk
    assert spell.history.count() == 1
    assert City.objects.filter(pk=duplicate.pk).exists()


def test_refuses_a_merge_that_would_repeat_a_spell_and_lists_every_conflict(kept, duplicate):
    network = NetworkFactory(name="Eurocities")
    MembershipFactory(city=kept, network=network, joined=datetime.date(1990, 1, 1))
    twin = MembershipFactory(city=duplicate, network=network, joined=datetime.date(1990, 1, 1))
    coding = CodingFactory(city=kept, network=network)
    twin_coding = CodingFactory(
        city=duplicate, network=network, code=coding.code, coder=coding.coder, perspective=coding.perspective
    )
    ParticipationFactory(city=kept, network=network)
    twin_participation = ParticipationFactory(city=duplicate, network=network)  # no start date either
    EngagementObservationFactory(city=duplicate, network=network)  # none on the survivor: no conflict

    with pytest.raises(MergeRefused) as refused:
        merge_places(merged=duplicate, survivor=kept)

    conflicts = refused.value.plan.conflicts
    assert {(conflict.kind, conflict.merged) for conflict in conflicts} == {
        ("membership", twin),
        ("coding", twin_coding),
        ("participation", twin_participation),
    }
    assert "starting then" in next(c.reason for c in conflicts if c.merged == twin)
    # Nothing was written.
    assert City.objects.filter(pk=duplicate.pk).exists()
    assert Membership.objects.filter(city=duplicate).count() == 1
    assert Coding.objects.filter(city=duplicate).count() == 1
    assert Participation.objects.filter(city=duplicate).count() == 1
    assert EngagementObservation.objects.filter(city=duplicate).count() == 1
    assert not PlaceRedirect.objects.exists()


def test_refuses_spells_of_one_network_that_overlap_in_time(kept, duplicate):
    network = NetworkFactory()
    MembershipFactory(city=kept, network=network, joined=datetime.date(2005, 1, 1), left=None)
    listed = MembershipFactory(city=duplicate, network=network, joined=None, listed_on=datetime.date(2022, 1, 1))

    plan = merge_plan(merged=duplicate, survivor=kept)

    assert [(c.merged, c.reason) for c in plan.conflicts] == [
        (listed, "Both places were members of this network then.")
    ]


def test_merges_spells_of_one_network_that_follow_each_other(kept, duplicate):
    network = NetworkFactory()
    MembershipFactory(city=kept, network=network, joined=datetime.date(2010, 1, 1))
    earlier = MembershipFactory(
        city=duplicate, network=network, joined=datetime.date(2001, 1, 1), left=datetime.date(2004, 12, 31)
    )

    merge_places(merged=duplicate, survivor=kept)

    assert Membership.objects.filter(city=kept).count() == 2
    earlier.refresh_from_db()
    assert earlier.city == kept


def test_a_place_cannot_be_merged_into_itself(kept):
    with pytest.raises(ValueError):
        merge_plan(merged=kept, survivor=kept)


# --- the old address ----------------------------------------------------------------


def test_the_merged_places_page_redirects_permanently_to_the_surviving_place(client, kept, duplicate):
    merge_places(merged=duplicate, survivor=kept)

    response = client.get("/cities/dusseldorf-de-2/?format=csv")

    assert response.status_code == 301
    assert response["Location"] == "/cities/dusseldorf-de/?format=csv"
    assert client.get(response["Location"]).status_code == 200
    assert client.get("/cities/no-such-place/").status_code == 404


def test_a_chain_of_merges_leads_to_the_last_surviving_place(client, kept, duplicate):
    third = CityFactory(name="Düsseldorf", slug="dusseldorf-de-3", country="DE", kind=City.Kind.DISTRICT)
    merge_places(merged=duplicate, survivor=kept)
    merge_places(merged=kept, survivor=third)

    for old in ("dusseldorf-de-2", "dusseldorf-de"):
        response = client.get(f"/cities/{old}/")
        assert (response.status_code, response["Location"]) == (301, "/cities/dusseldorf-de-3/")


def test_a_new_place_with_the_old_address_is_shown_rather_than_redirected(client, kept, duplicate):
    merge_places(merged=duplicate, survivor=kept)
    CityFactory(name="Dusseldorf", slug="dusseldorf-de-2", country="DE", kind=City.Kind.METROPOLITAN)

    assert client.get("/cities/dusseldorf-de-2/").status_code == 200


def test_the_api_redirects_a_merged_places_address(client, kept, duplicate):
    merge_places(merged=duplicate, survivor=kept)

    detail = client.get("/api/v1/cities/dusseldorf-de-2/")
    portfolio = client.get("/api/v1/cities/dusseldorf-de-2/portfolio/?format=csv")

    assert (detail.status_code, detail["Location"]) == (301, "/api/v1/cities/dusseldorf-de/")
    assert (portfolio.status_code, portfolio["Location"]) == (301, "/api/v1/cities/dusseldorf-de/portfolio/?format=csv")
    assert client.get(detail["Location"]).json()["name"] == "Düsseldorf"
    assert client.get("/api/v1/cities/no-such-place/").status_code == 404


def test_the_api_redirects_a_write_to_a_merged_places_address_keeping_its_method(staff_client, kept, duplicate):
    merge_places(merged=duplicate, survivor=kept)

    response = staff_client.patch(
        "/api/v1/cities/dusseldorf-de-2/", {"population": 620_000}, content_type="application/json"
    )

    assert (response.status_code, response["Location"]) == (308, "/api/v1/cities/dusseldorf-de/")
    kept.refresh_from_db()
    assert kept.population != 620_000  # nothing written at the old address


# --- the admin ----------------------------------------------------------------


def test_merge_action_leads_to_the_merge_page_keeping_the_place_with_more_memberships(staff_client, kept, duplicate):
    MembershipFactory(city=kept)

    response = staff_client.post(CHANGELIST, {"action": "merge_selected", "_selected_action": [duplicate.pk, kept.pk]})

    assert response.status_code == 302
    assert response.url == merge_url(kept, duplicate)


def test_merge_action_needs_exactly_two_places(staff_client, kept, duplicate):
    third = CityFactory()

    response = staff_client.post(
        CHANGELIST, {"action": "merge_selected", "_selected_action": [duplicate.pk, kept.pk, third.pk]}, follow=True
    )

    assert "Select exactly two places to merge." in response.content.decode()
    assert City.objects.count() == 3


def test_merge_page_shows_what_moves_and_offers_to_swap(staff_client, kept, duplicate):
    MembershipFactory(city=duplicate)
    CodingFactory(city=duplicate)
    CodingFactory(city=duplicate)

    response = staff_client.get(merge_url(kept, duplicate))

    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["plan"].moves == {
        "codings": 2,
        "history entries of codings": 2,
        "history entry of memberships": 1,
        "membership": 1,
    }
    assert "<li>2 codings</li>" in page
    assert "(filled in from the merged place)" in page  # the Wikidata id
    assert f'href="{merge_url(duplicate, kept)}"' in page.replace("&amp;", "&")
    assert 'value="Merge Dusseldorf (DE) into Düsseldorf (DE)"' in page
    assert City.objects.filter(pk=duplicate.pk).exists()  # looking changes nothing


def test_merging_in_the_admin_moves_everything_and_records_it(staff_client, staff_user, kept, duplicate):
    spell = MembershipFactory(city=duplicate)

    response = staff_client.post(MERGE, {"keep": kept.pk, "merge": duplicate.pk}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:cities_city_change", args=[kept.pk])
    page = response.content.decode()
    assert "Merged Dusseldorf (DE) into Düsseldorf (DE): moved 1 membership" in page
    assert f"Dusseldorf (DE), id {duplicate.pk}, /dusseldorf-de-2/: merged" in page
    spell.refresh_from_db()
    assert spell.city == kept
    history = staff_client.get(reverse("admin:cities_city_history", args=[kept.pk])).content.decode()
    assert f"Merged Dusseldorf (DE) (id {duplicate.pk}, /dusseldorf-de-2/) into this place" in history
    deleted = LogEntry.objects.get(object_id=str(duplicate.pk))
    assert (deleted.user, deleted.is_deletion()) == (staff_user, True)


def test_merging_in_the_admin_lists_the_conflicts_and_changes_nothing(staff_client, kept, duplicate):
    network = NetworkFactory(name="Eurocities")
    kept_spell = MembershipFactory(city=kept, network=network)
    twin = MembershipFactory(city=duplicate, network=network)

    response = staff_client.post(MERGE, {"keep": kept.pk, "merge": duplicate.pk})

    page = response.content.decode()
    assert response.status_code == 200
    assert "the places cannot be merged yet" in page
    assert reverse("admin:networks_membership_change", args=[twin.pk]) in page
    assert reverse("admin:networks_membership_change", args=[kept_spell.pk]) in page
    assert 'type="submit"' not in page.split('id="conflicts"')[1]
    twin.refresh_from_db()
    assert twin.city == duplicate
    assert not PlaceRedirect.objects.exists()


def test_an_editor_may_merge(client, editor, kept, duplicate):
    client.force_login(editor)

    response = client.post(MERGE, {"keep": kept.pk, "merge": duplicate.pk})

    assert response.status_code == 302
    assert not City.objects.filter(pk=duplicate.pk).exists()


def test_read_only_staff_may_not_merge(client, read_only_staff, kept, duplicate):
    client.force_login(read_only_staff)

    page = client.get(merge_url(kept, duplicate))
    post = client.post(MERGE, {"keep": kept.pk, "merge": duplicate.pk})
    changelist = client.get(CHANGELIST).content.decode()

    assert (page.status_code, post.status_code) == (403, 403)
    assert "merge_selected" not in changelist
    assert City.objects.filter(pk=duplicate.pk).exists()


def test_anonymous_visitors_are_sent_to_login(client, kept, duplicate):
    response = client.post(MERGE, {"keep": kept.pk, "merge": duplicate.pk})

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert City.objects.filter(pk=duplicate.pk).exists()
