import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction

from networks.dates import format_partial_date
from networks.models import Coding
from networks.models import Membership
from tests.factories import CityFactory
from tests.factories import CodebookVersionFactory
from tests.factories import CodingFactory
from tests.factories import EngagementObservationFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import ParticipationFactory
from tests.factories import SourceFactory
from tests.factories import SubNetworkFactory

pytestmark = pytest.mark.django_db


def rejected(factory, **values):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**values)
    return True


def test_rejects_membership_that_ends_before_it_starts():
    assert rejected(MembershipFactory, joined=datetime.date(2015, 1, 1), left=datetime.date(2014, 12, 31))


def test_rejects_duplicate_spell_with_the_same_start():
    spell = MembershipFactory(joined=datetime.date(2014, 1, 1))
    assert rejected(MembershipFactory, city=spell.city, network=spell.network, joined=datetime.date(2014, 1, 1))


def test_rejects_second_undated_spell_of_the_same_membership():
    spell = MembershipFactory(joined=None)
    assert rejected(MembershipFactory, city=spell.city, network=spell.network, joined=None)


def test_allows_leaving_and_rejoining_as_two_spells():
    first = MembershipFactory(joined=datetime.date(2001, 1, 1), left=datetime.date(2005, 12, 31))
    MembershipFactory(city=first.city, network=first.network, joined=datetime.date(2010, 1, 1))
    assert Membership.objects.filter(city=first.city, network=first.network).count() == 2


def test_rejects_unknown_membership_type():
    assert rejected(MembershipFactory, type="honorary")


def test_member_on_date_follows_spells_and_skips_memberships_that_never_started():
    network = NetworkFactory()
    left_early = MembershipFactory(network=network, joined=datetime.date(2013, 1, 1), left=datetime.date(2015, 12, 31))
    current = MembershipFactory(network=network, joined=datetime.date(2014, 1, 1))
    MembershipFactory(network=network, joined=datetime.date(2013, 1, 1), took_effect=False)
    members_2016 = set(Membership.objects.in_network(network).member_on(datetime.date(2016, 6, 1)))
    members_2014 = set(Membership.objects.in_network(network).member_on(datetime.date(2014, 6, 1)))
    assert members_2016 == {current}
    assert members_2014 == {left_early, current}


def test_full_clean_reports_constraint_violation_as_readable_message():
    spell = MembershipFactory.build(
        city=CityFactory(),
        network=NetworkFactory(),
        source=SourceFactory(),
        joined=datetime.date(2015, 1, 1),
        left=datetime.date(2014, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        spell.full_clean()
    assert "A membership cannot end before it starts." in str(error.value)


@pytest.mark.parametrize("salience", [-1, 4, 5])
def test_rejects_salience_outside_zero_to_three(salience):
    assert rejected(CodingFactory, salience=salience)


def test_rejects_unknown_outcome_and_perspective():
    assert rejected(CodingFactory, outcome="great")
    assert rejected(CodingFactory, perspective="mayor")


def test_rejects_second_coding_of_the_same_cell_by_the_same_coder():
    coding = CodingFactory()
    assert rejected(CodingFactory, city=coding.city, network=coding.network, code=coding.code, coder=coding.coder)


def test_rejects_second_network_as_a_whole_coding_of_the_same_cell():
    coding = CodingFactory(city=None, perspective=Coding.Perspective.NETWORK)
    assert rejected(
        CodingFactory,
        city=None,
        network=coding.network,
        code=coding.code,
        coder=coding.coder,
        perspective=Coding.Perspective.NETWORK,
    )


def test_second_coder_may_code_the_same_cell():
    coding = CodingFactory()
    CodingFactory(city=coding.city, network=coding.network, code=coding.code)
    assert Coding.objects.filter(city=coding.city, code=coding.code).count() == 2


def test_rejects_empty_evidence_text_and_unknown_kind():
    assert rejected(EvidenceFactory, text="")
    assert rejected(EvidenceFactory, kind="rumour")


def test_rejects_network_that_ends_before_it_was_founded():
    assert rejected(NetworkFactory, founded=2013, ended=2010)


def test_rejects_reported_member_count_without_its_date():
    assert rejected(NetworkFactory, reported_member_count=113, reported_member_count_as_of=None)


def test_rejects_unknown_network_scope():
    assert rejected(NetworkFactory, scope="galactic")


def test_rejects_duplicate_subnetwork_slug_in_one_network():
    forum = SubNetworkFactory(slug="culture")
    assert rejected(SubNetworkFactory, network=forum.network, slug="culture")


def test_rejects_subnetwork_that_is_its_own_parent():
    forum = SubNetworkFactory()
    forum.parent = forum
    with pytest.raises(IntegrityError), transaction.atomic():
        forum.save()


def test_subnetwork_parent_must_belong_to_the_same_network():
    parent = SubNetworkFactory()
    child = SubNetworkFactory.build(network=NetworkFactory(), parent=parent, slug="wg")
    with pytest.raises(ValidationError) as error:
        child.full_clean()
    assert "same network" in str(error.value)


def test_participation_subnetwork_must_belong_to_the_chosen_network():
    participation = ParticipationFactory.build(
        city=CityFactory(), network=NetworkFactory(), subnetwork=SubNetworkFactory(), source=SourceFactory()
    )
    with pytest.raises(ValidationError):
        participation.full_clean()


def test_rejects_participation_that_ends_before_it_starts():
    assert rejected(ParticipationFactory, since=datetime.date(2015, 1, 1), until=datetime.date(2010, 1, 1))


def test_rejects_engagement_level_above_high():
    assert rejected(EngagementObservationFactory, level=4)


def test_only_one_codebook_version_is_current():
    CodebookVersionFactory(label="v1", is_current=True)
    assert rejected(CodebookVersionFactory, label="v2", is_current=True)


def test_interview_numbers_are_unique_within_a_study():
    study = SourceFactory(kind="study")
    SourceFactory(kind="interview", part_of=study, interview_number=1)
    assert rejected(SourceFactory, kind="interview", part_of=study, interview_number=1)


def test_only_interviews_have_interview_numbers():
    assert rejected(SourceFactory, kind="document", interview_number=3)


def test_partial_dates_show_only_what_is_known():
    assert format_partial_date(datetime.date(2019, 12, 31), "year") == "2019"
    assert format_partial_date(datetime.date(2013, 12, 1), "month") == "Dec 2013"
    assert format_partial_date(datetime.date(2013, 12, 3), "day") == "2013-12-03"
    spell = MembershipFactory.build(joined=datetime.date(2013, 1, 1), joined_precision="year", left=None)
    assert spell.period == "2013–"
