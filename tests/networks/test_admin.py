import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from networks.models import CodebookVersion
from networks.models import Coding
from networks.models import EngagementObservation
from networks.models import Evidence
from networks.models import Membership
from networks.models import Network
from networks.models import Participation
from networks.models import Source
from networks.models import SubNetwork
from tests.admin_forms import autocomplete
from tests.admin_forms import error_messages
from tests.admin_forms import inline_data
from tests.admin_forms import membership_fields
from tests.factories import CityFactory
from tests.factories import CodebookVersionFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import CodingFactory
from tests.factories import EngagementObservationFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import ParticipationFactory
from tests.factories import SourceFactory
from tests.factories import SubNetworkFactory
from tests.factories import ThemeFactory
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    # WhiteNoise warns when collectstatic has not run; the admin pages need no static files.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

codebook_labels = (f"v{n}" for n in itertools.count())


def build_source():
    return SourceFactory(kind=Source.Kind.INTERVIEW, interview_number=1, part_of=SourceFactory(kind="study"))


def build_network():
    network = NetworkFactory(headquarters=CityFactory())
    network.themes.add(ThemeFactory())
    MembershipFactory(network=network)
    return network


def build_subnetwork():
    parent = SubNetworkFactory(source=SourceFactory())
    return SubNetworkFactory(network=parent.network, parent=parent, source=SourceFactory())


def build_participation():
    subnetwork = SubNetworkFactory()
    return ParticipationFactory(network=subnetwork.network, subnetwork=subnetwork)


def build_codebook_version():
    version = CodebookVersionFactory(label=next(codebook_labels), is_current=False, based_on=SourceFactory())
    CodeFactory(version=version)
    return version


def build_coder():
    coder = CoderFactory(user=UserFactory())
    CodingFactory(coder=coder)
    return coder


# One builder per admin; each row brings its own related rows, so a missing
# select_related shows up as extra queries when the row count grows.
BUILDERS = {
    "source": build_source,
    "theme": ThemeFactory,
    "network": build_network,
    "membership": MembershipFactory,
    "subnetwork": build_subnetwork,
    "participation": build_participation,
    "codebookversion": build_codebook_version,
    "code": CodeFactory,
    "coder": build_coder,
    "coding": lambda: EvidenceFactory().coding,
    "evidence": EvidenceFactory,
    "engagementobservation": EngagementObservationFactory,
}


def admin_url(model_name: str, view: str, *args) -> str:
    return reverse(f"admin:networks_{model_name}_{view}", args=args)


def network_data(
    subnetworks=(), memberships=(), initial_subnetworks=0, initial_memberships=0, listed_memberships=(), **fields
):
    # On a network's change page, saved spells are listed read-only under the prefix
    # "memberships-2"; "memberships" is the row for adding spells.
    listed = [{"id": spell.pk, "network": spell.network_id} for spell in listed_memberships]
    return {
        "name": "Eurocities",
        "slug": "eurocities",
        "scope": "regional",
        "focus": "general",
        "politically_led": "unknown",
        **fields,
        **inline_data("subnetworks", list(subnetworks), initial_subnetworks),
        **inline_data("memberships", list(memberships), initial_memberships),
        **inline_data("memberships-2", listed, len(listed)),
    }


def saved_network_data(network, **fields):
    """A saved network's change page as posted, with `fields` (inline rows among them)."""
    return network_data(name=network.name, slug=network.slug, scope=network.scope, **fields)


def membership_row(city, source, **fields):
    return membership_fields(source, city=city.pk, **fields)


def membership_data(city, network, source, **fields):
    spell = {"city": city.pk, "network": network.pk, "joined": "2014-01-01", "listed_on": "", "note": ""}
    return membership_fields(source, **{**spell, **fields})


def coding_data(network, code, coder, evidence=(), city=None, **fields):
    return {
        "city": city.pk if city else "",
        "network": network.pk,
        "code": code.pk,
        "perspective": "city",
        "salience": 2,
        "outcome": "met",
        "note": "",
        "coder": coder.pk,
        "coded_at_0": "2018-07-03",
        "coded_at_1": "12:00:00",
        **fields,
        **inline_data("evidence", list(evidence)),
    }


def evidence_row(source, **fields):
    return {
        "source": source.pk,
        "locator": "p. 72",
        "kind": "paraphrase",
        "language": "",
        "position": 0,
        "text": "Exchange of experience and learning.",
        "original_text": "",
        "visibility": "public",
        "public_paraphrase": "",
        **fields,
    }


# --- pages load ---------------------------------------------------------------


@pytest.mark.parametrize("model_name", BUILDERS)
def test_changelist_lists_rows_for_staff(staff_client, model_name):
    BUILDERS[model_name]()

    response = staff_client.get(admin_url(model_name, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("model_name", BUILDERS)
def test_add_form_loads_for_staff(staff_client, model_name):
    BUILDERS[model_name]()

    response = staff_client.get(admin_url(model_name, "add"))

    assert response.status_code == 200


@pytest.mark.parametrize("model_name", BUILDERS)
def test_change_form_loads_for_staff(staff_client, model_name):
    obj = BUILDERS[model_name]()

    response = staff_client.get(admin_url(model_name, "change", obj.pk))

    assert response.status_code == 200
    assert response.context["original"] == obj


@pytest.mark.parametrize("view", ["changelist", "add"])
def test_anonymous_user_is_sent_to_login(client, view):
    url = admin_url("membership", view)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


def test_reader_without_staff_rights_is_sent_to_login(client, reader):
    client.force_login(reader)

    response = client.get(admin_url("membership", "changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def count_changelist_queries(client, model_name: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(model_name, "changelist"))
    assert response.status_code == 200
    return len(queries), response.context["cl"].result_count


@pytest.mark.parametrize("model_name", BUILDERS)
def test_changelist_queries_do_not_grow_with_rows(staff_client, model_name):
    for _ in range(2):
        BUILDERS[model_name]()
    queries_for_few, rows_for_few = count_changelist_queries(staff_client, model_name)
    for _ in range(18):
        BUILDERS[model_name]()

    queries_for_many, rows_for_many = count_changelist_queries(staff_client, model_name)

    assert rows_for_many == 10 * rows_for_few
    assert queries_for_many == queries_for_few


def test_network_change_page_queries_do_not_grow_with_members(staff_client):
    network = NetworkFactory()
    MembershipFactory(network=network)
    with CaptureQueriesContext(connection) as one_row:
        staff_client.get(admin_url("network", "change", network.pk))
    MembershipFactory.create_batch(20, network=network)

    with CaptureQueriesContext(connection) as many_rows:
        response = staff_client.get(admin_url("network", "change", network.pk))

    # Members are listed read-only (city and source joined); only the add row has widgets.
    assert len(many_rows) == len(one_row)
    assert response.content.decode().count("/change/") >= 21


def test_network_page_adds_a_membership_spell_through_its_add_row(staff_client):
    spell = MembershipFactory()
    network = spell.network
    city, source = CityFactory(), SourceFactory()
    response = staff_client.post(
        admin_url("network", "change", network.pk),
        saved_network_data(
            network,
            memberships=[membership_row(city, source, joined="2015-01-01")],
            listed_memberships=[spell],
        ),
    )
    assert response.status_code == 302
    assert set(network.memberships.values_list("city", flat=True)) == {spell.city_id, city.pk}


# --- membership changelist ----------------------------------------------------------


def test_membership_changelist_searches_by_city_name(staff_client):
    oslo = MembershipFactory(city=CityFactory(name="Oslo"))
    MembershipFactory(city=CityFactory(name="Vejle"))

    response = staff_client.get(admin_url("membership", "changelist"), {"q": "osl"})

    assert list(response.context["cl"].result_list) == [oslo]


def test_membership_changelist_filters_by_network_and_type(staff_client):
    eurocities = NetworkFactory(name="Eurocities")
    wanted = MembershipFactory(network=eurocities, type=Membership.Type.FULL)
    MembershipFactory(network=eurocities, type=Membership.Type.ASSOCIATE)
    MembershipFactory(type=Membership.Type.FULL)

    response = staff_client.get(
        admin_url("membership", "changelist"), {"network__id__exact": eurocities.pk, "type__exact": "full"}
    )

    assert list(response.context["cl"].result_list) == [wanted]


def test_membership_changelist_filters_by_round_and_country(staff_client):
    wanted = MembershipFactory(application_round=1, city=CityFactory(country="DK"))
    MembershipFactory(application_round=2, city=CityFactory(country="DK"))
    MembershipFactory(application_round=1, city=CityFactory(country="NO"))

    response = staff_client.get(admin_url("membership", "changelist"), {"application_round": 1, "city__country": "DK"})

    assert list(response.context["cl"].result_list) == [wanted]


def test_membership_changelist_shows_the_period(staff_client):
    MembershipFactory(joined=datetime.date(2013, 12, 1), joined_precision="month")

    response = staff_client.get(admin_url("membership", "changelist"))

    assert "Dec 2013–" in response.content.decode()


def test_city_autocomplete_for_memberships_answers(staff_client):
    oslo = CityFactory(name="Oslo")
    CityFactory(name="Vejle")

    assert autocomplete(staff_client, "membership", "city", "osl") == [{"id": str(oslo.pk), "text": str(oslo)}]


# --- membership form and inlines ----------------------------------------------------


def test_adds_a_membership(staff_client):
    city, network, source = CityFactory(), NetworkFactory(), SourceFactory()

    response = staff_client.post(admin_url("membership", "add"), membership_data(city, network, source))

    assert response.status_code == 302
    assert Membership.objects.get().city == city


def test_rejects_membership_that_ends_before_it_starts(staff_client):
    city, network, source = CityFactory(), NetworkFactory(), SourceFactory()

    response = staff_client.post(
        admin_url("membership", "add"),
        membership_data(city, network, source, joined="2014-01-01", left="2013-12-31"),
    )

    assert response.status_code == 200
    assert "A membership cannot end before it starts." in error_messages(response)
    assert not Membership.objects.exists()


def test_rejects_second_membership_spell_with_the_same_start(staff_client):
    spell = MembershipFactory(joined=datetime.date(2014, 1, 1))

    response = staff_client.post(
        admin_url("membership", "add"), membership_data(spell.city, spell.network, spell.source)
    )

    assert response.status_code == 200
    assert "This place already has a membership spell of this network starting then." in error_messages(response)
    assert Membership.objects.count() == 1


def test_rejects_second_undated_membership_spell(staff_client):
    spell = MembershipFactory(joined=None)

    response = staff_client.post(
        admin_url("membership", "add"), membership_data(spell.city, spell.network, spell.source, joined="")
    )

    assert response.status_code == 200
    assert "This place already has a membership spell of this network with no start date." in error_messages(response)
    assert Membership.objects.count() == 1


def test_adds_a_network_with_sub_networks_and_members(staff_client):
    oslo, source = CityFactory(), SourceFactory()

    response = staff_client.post(
        admin_url("network", "add"),
        network_data(
            subnetworks=[{"name": "Environment Forum", "slug": "environment", "kind": "forum"}],
            memberships=[membership_row(oslo, source, joined="2014-01-01")],
        ),
    )

    assert response.status_code == 302
    network = Network.objects.get()
    assert network.memberships.get().city == oslo
    assert network.subnetworks.get().name == "Environment Forum"


def test_network_page_rejects_inline_membership_that_ends_before_it_starts(staff_client):
    oslo, source = CityFactory(), SourceFactory()

    response = staff_client.post(
        admin_url("network", "add"),
        network_data(memberships=[membership_row(oslo, source, joined="2014-01-01", left="2012-12-31")]),
    )

    assert response.status_code == 200
    assert "A membership cannot end before it starts." in error_messages(response)
    assert not Network.objects.exists()
    assert not Membership.objects.exists()


def test_network_page_rejects_two_inline_spells_of_one_city_with_the_same_start(staff_client):
    oslo, source = CityFactory(), SourceFactory()
    row = membership_row(oslo, source, joined="2014-01-01")

    response = staff_client.post(admin_url("network", "add"), network_data(memberships=[row, row]))

    assert response.status_code == 200
    assert "Please correct the duplicate data for city and joined, which must be unique." in (error_messages(response))
    assert not Network.objects.exists()


def test_network_page_rejects_inline_spell_that_repeats_a_saved_one(staff_client):
    spell = MembershipFactory(joined=datetime.date(2014, 1, 1))
    network = spell.network
    response = staff_client.post(
        admin_url("network", "change", network.pk),
        saved_network_data(
            network,
            memberships=[membership_row(spell.city, spell.source, joined="2014-01-01")],
            listed_memberships=[spell],
        ),
    )

    assert response.status_code == 200
    assert "This place already has a membership spell of this network starting then." in error_messages(response)
    assert Membership.objects.count() == 1


def test_network_page_rejects_two_undated_inline_spells_of_one_city(staff_client):
    oslo, source = CityFactory(), SourceFactory()
    row = membership_row(oslo, source, joined="")

    response = staff_client.post(admin_url("network", "add"), network_data(memberships=[row, row]))

    assert response.status_code == 200
    assert "This place already has a membership spell of this network with no start date." in error_messages(response)
    assert not Network.objects.exists()
    assert not Membership.objects.exists()


def test_network_page_accepts_undated_spells_of_two_cities(staff_client):
    source = SourceFactory()
    rows = [membership_row(CityFactory(), source), membership_row(CityFactory(), source)]

    response = staff_client.post(admin_url("network", "add"), network_data(memberships=rows))

    assert response.status_code == 302
    assert Membership.objects.filter(joined__isnull=True).count() == 2


def test_rejects_reported_member_count_without_its_date(staff_client):
    response = staff_client.post(admin_url("network", "add"), network_data(reported_member_count=113))

    assert response.status_code == 200
    assert "A reported member count needs the date it was reported for." in error_messages(response)
    assert not Network.objects.exists()


# --- sub-networks and participation -------------------------------------------------


def subnetwork_data(network, parent=None, **fields):
    return {
        "network": network.pk,
        "parent": parent.pk if parent else "",
        "name": "Mobility Forum",
        "slug": "mobility",
        "kind": "forum",
        "permanent": "unknown",
        "description": "",
        "source": "",
        **fields,
    }


def test_rejects_sub_network_whose_parent_belongs_to_another_network(staff_client):
    network, elsewhere = NetworkFactory(), SubNetworkFactory()

    response = staff_client.post(admin_url("subnetwork", "add"), subnetwork_data(network, parent=elsewhere))

    assert response.status_code == 200
    assert "The parent must belong to the same network." in error_messages(response)
    assert SubNetwork.objects.count() == 1


def test_rejects_sub_network_that_is_its_own_parent(staff_client):
    forum = SubNetworkFactory()

    response = staff_client.post(
        admin_url("subnetwork", "change", forum.pk),
        subnetwork_data(forum.network, parent=forum, name=forum.name, slug=forum.slug),
    )

    assert response.status_code == 200
    assert "A sub-network cannot be its own parent." in error_messages(response)
    forum.refresh_from_db()
    assert forum.parent is None


def test_network_page_rejects_inline_sub_network_with_another_networks_parent(staff_client):
    network, elsewhere = NetworkFactory(), SubNetworkFactory()

    response = staff_client.post(
        admin_url("network", "change", network.pk),
        saved_network_data(
            network,
            subnetworks=[{"name": "Mobility", "slug": "mobility", "kind": "forum", "parent": elsewhere.pk}],
        ),
    )

    assert response.status_code == 200
    assert "The parent must belong to the same network." in error_messages(response)
    assert not network.subnetworks.exists()


def test_new_network_page_rejects_inline_sub_network_with_another_networks_parent(staff_client):
    elsewhere = SubNetworkFactory()

    response = staff_client.post(
        admin_url("network", "add"),
        network_data(subnetworks=[{"name": "Mobility", "slug": "mobility", "kind": "forum", "parent": elsewhere.pk}]),
    )

    assert response.status_code == 200
    assert "The parent must belong to the same network." in error_messages(response)
    assert Network.objects.count() == 1
    assert SubNetwork.objects.count() == 1


def test_network_page_rejects_inline_sub_network_that_is_its_own_parent(staff_client):
    forum = SubNetworkFactory()
    network = forum.network
    row = {"id": forum.pk, "network": network.pk, "name": forum.name, "slug": forum.slug, "kind": "forum"}

    response = staff_client.post(
        admin_url("network", "change", network.pk),
        saved_network_data(
            network,
            subnetworks=[{**row, "parent": forum.pk}],
            initial_subnetworks=1,
        ),
    )

    assert response.status_code == 200
    assert "A sub-network cannot be its own parent." in error_messages(response)
    forum.refresh_from_db()
    assert forum.parent is None


def test_network_page_rejects_two_inline_sub_networks_with_one_slug(staff_client):
    row = {"name": "Mobility", "slug": "mobility", "kind": "forum"}

    response = staff_client.post(admin_url("network", "add"), network_data(subnetworks=[row, row]))

    assert response.status_code == 200
    assert "Please correct the duplicate data for slug." in (error_messages(response))
    assert not SubNetwork.objects.exists()


def participation_data(city, network, source, subnetwork=None, **fields):
    return {
        "city": city.pk,
        "network": network.pk,
        "subnetwork": subnetwork.pk if subnetwork else "",
        "unit": "Administrative staff",
        "unit_kind": "administration",
        "involvement": "regular",
        "since": "",
        "since_precision": "year",
        "until": "",
        "until_precision": "year",
        "source": source.pk,
        "locator": "",
        "note": "",
        **fields,
    }


def test_rejects_participation_in_another_networks_sub_network(staff_client):
    city, network, source, elsewhere = CityFactory(), NetworkFactory(), SourceFactory(), SubNetworkFactory()

    response = staff_client.post(
        admin_url("participation", "add"), participation_data(city, network, source, subnetwork=elsewhere)
    )

    assert response.status_code == 200
    assert "The sub-network must belong to the chosen network." in error_messages(response)
    assert not Participation.objects.exists()


def test_rejects_participation_that_ends_before_it_starts(staff_client):
    city, network, source = CityFactory(), NetworkFactory(), SourceFactory()

    response = staff_client.post(
        admin_url("participation", "add"),
        participation_data(city, network, source, since="2015-01-01", until="2014-12-31"),
    )

    assert response.status_code == 200
    assert "A participation cannot end before it starts." in error_messages(response)
    assert not Participation.objects.exists()


# --- sources and the codebook ---------------------------------------------------------


def test_rejects_interview_number_on_a_document(staff_client):
    response = staff_client.post(
        admin_url("source", "add"),
        {"kind": "document", "label": "", "citation": "A report.", "interview_number": 3},
    )

    assert response.status_code == 200
    assert "Only an interview has an interview number." in error_messages(response)
    assert not Source.objects.exists()


def test_rejects_source_that_is_part_of_itself(staff_client):
    source = SourceFactory()

    response = staff_client.post(
        admin_url("source", "change", source.pk),
        {"kind": source.kind, "label": source.label, "citation": source.citation, "part_of": source.pk},
    )

    assert response.status_code == 200
    assert "A source cannot be part of itself." in error_messages(response)
    source.refresh_from_db()
    assert source.part_of is None


def test_rejects_second_current_codebook_version(staff_client):
    CodebookVersionFactory(label="2018", is_current=True)

    response = staff_client.post(
        admin_url("codebookversion", "add"),
        {"label": "2019", "released": "2019-01-01", "is_current": "on", **inline_data("codes", [])},
    )

    assert response.status_code == 200
    assert "Only one codebook version can be current." in error_messages(response)
    assert CodebookVersion.objects.count() == 1


def test_codebook_page_rejects_two_codes_with_one_slug(staff_client):
    row = {"code": "knowledge", "name": "Knowledge sharing", "kind": "function", "position": 0, "definition": "x"}

    response = staff_client.post(
        admin_url("codebookversion", "add"),
        {"label": "2018", "released": "2018-01-01", **inline_data("codes", [row, row])},
    )

    assert response.status_code == 200
    assert "Please correct the duplicate data for code." in (error_messages(response))
    assert not CodebookVersion.objects.exists()


# --- codings and evidence -----------------------------------------------------------


def test_adds_a_coding_with_its_evidence(staff_client):
    city, network, code, coder, source = (
        CityFactory(),
        NetworkFactory(),
        CodeFactory(),
        CoderFactory(),
        SourceFactory(),
    )

    response = staff_client.post(
        admin_url("coding", "add"), coding_data(network, code, coder, city=city, evidence=[evidence_row(source)])
    )

    assert response.status_code == 302
    coding = Coding.objects.get()
    assert coding.evidence.get().source == source


def test_coding_form_shows_one_blank_evidence_form(staff_client):
    response = staff_client.get(admin_url("coding", "add"))

    (evidence_formset,) = response.context["inline_admin_formsets"]
    assert len(evidence_formset.formset.forms) == 1


def test_rejects_coding_with_salience_above_three(staff_client):
    network, code, coder, source = NetworkFactory(), CodeFactory(), CoderFactory(), SourceFactory()

    response = staff_client.post(
        admin_url("coding", "add"),
        coding_data(network, code, coder, salience=5, evidence=[evidence_row(source)]),
    )

    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 3." in error_messages(response)
    assert not Coding.objects.exists()


def test_rejects_coding_without_evidence(staff_client):
    network, code, coder = NetworkFactory(), CodeFactory(), CoderFactory()

    response = staff_client.post(
        admin_url("coding", "add"),
        coding_data(network, code, coder, evidence=[{"position": 0}]),
    )

    assert response.status_code == 200
    assert "This field is required." in error_messages(response)
    assert not Coding.objects.exists()


def test_rejects_deleting_a_codings_last_evidence(staff_client):
    evidence = EvidenceFactory()
    coding = evidence.coding
    row = {"id": evidence.pk, "coding": coding.pk, "DELETE": "on", **evidence_row(evidence.source)}
    data = coding_data(coding.network, coding.code, coding.coder, city=coding.city)
    data.update(inline_data("evidence", [row], initial=1))

    response = staff_client.post(admin_url("coding", "change", coding.pk), data)

    assert response.status_code == 200
    assert "Please submit at least 1 form." in error_messages(response)
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_rejects_evidence_with_empty_text(staff_client):
    network, code, coder, source = NetworkFactory(), CodeFactory(), CoderFactory(), SourceFactory()

    response = staff_client.post(
        admin_url("coding", "add"),
        coding_data(network, code, coder, evidence=[evidence_row(source, text="   ")]),
    )

    assert response.status_code == 200
    assert "This field is required." in error_messages(response)
    assert not Coding.objects.exists()
    assert not Evidence.objects.exists()


def test_rejects_the_same_evidence_twice_on_one_coding(staff_client):
    network, code, coder, source = NetworkFactory(), CodeFactory(), CoderFactory(), SourceFactory()
    row = evidence_row(source)

    response = staff_client.post(admin_url("coding", "add"), coding_data(network, code, coder, evidence=[row, row]))

    assert response.status_code == 200
    assert "Please correct the duplicate data for source and text, which must be unique." in (error_messages(response))
    assert not Coding.objects.exists()


def test_rejects_second_coding_of_a_network_as_a_whole_in_one_cell(staff_client):
    existing = CodingFactory(city=None, perspective=Coding.Perspective.NETWORK)

    response = staff_client.post(
        admin_url("coding", "add"),
        coding_data(
            existing.network,
            existing.code,
            existing.coder,
            perspective="network",
            evidence=[evidence_row(SourceFactory())],
        ),
    )

    assert response.status_code == 200
    assert "This coder has already coded this network as a whole from this perspective." in error_messages(response)
    assert Coding.objects.count() == 1


def test_rejects_second_engagement_observation_from_one_source(staff_client):
    existing = EngagementObservationFactory()

    response = staff_client.post(
        admin_url("engagementobservation", "add"),
        {
            "city": existing.city.pk,
            "network": existing.network.pk,
            "observed_on": existing.observed_on.isoformat(),
            "observed_precision": "year",
            "level": 3,
            "source": existing.source.pk,
        },
    )

    assert response.status_code == 200
    assert "This source already reports engagement for this city, network and date." in error_messages(response)
    assert EngagementObservation.objects.count() == 1
