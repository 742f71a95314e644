"""The lists' filters, search and ordering: plain query parameters, 400 on malformed values."""

import datetime

import pytest

from cities.models import City
from networks.models import Code
from networks.models import Coding
from networks.models import Evidence
from networks.models import Membership
from networks.models import Participation
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CodingFactory
from tests.factories import EngagementObservationFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import NetworkFactory
from tests.factories import ParticipationFactory
from tests.factories import SourceFactory
from tests.factories import SubNetworkFactory

pytestmark = pytest.mark.django_db


def ids(response) -> set:
    assert response.status_code == 200, response.content
    return {row.get("id") or row.get("slug") or row.get("code") for row in response.json()["results"]}


@pytest.fixture
def spells():
    """Three spells: Oslo and Copenhagen in Eurocities, Vejle in 100RC (round 1, left 2019)."""
    eurocities = NetworkFactory(name="Eurocities", slug="eurocities")
    resilient = NetworkFactory(name="100 Resilient Cities", slug="100rc")
    oslo = CityFactory(name="Oslo", slug="oslo", country="NO")
    copenhagen = CityFactory(name="Copenhagen", slug="copenhagen", country="DK")
    vejle = CityFactory(name="Vejle", slug="vejle", country="DK")
    return {
        "oslo": MembershipFactory(city=oslo, network=eurocities, joined=datetime.date(2000, 1, 1), type="full"),
        "copenhagen": MembershipFactory(
            city=copenhagen, network=eurocities, joined=datetime.date(2005, 1, 1), type="associate"
        ),
        "vejle": MembershipFactory(
            city=vejle,
            network=resilient,
            joined=datetime.date(2014, 1, 1),
            left=datetime.date(2019, 7, 31),
            application_round=1,
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("network=eurocities", {"oslo", "copenhagen"}),
        ("network=eurocities&network=100rc", {"oslo", "copenhagen", "vejle"}),
        ("network=eurocities,100rc", {"oslo", "copenhagen", "vejle"}),
        ("network=nosuchnetwork", set()),
        ("city=vejle", {"vejle"}),
        ("country=dk", {"copenhagen", "vejle"}),
        ("country=DK&network=eurocities", {"copenhagen"}),
        ("city_kind=city", {"oslo", "copenhagen", "vejle"}),
        ("city_kind=district", set()),
        ("type=associate", {"copenhagen"}),
        ("type=full,associate", {"oslo", "copenhagen"}),
        ("round=1", {"vejle"}),
        ("joined_after=2004-01-01", {"copenhagen", "vejle"}),
        ("joined_before=2004-01-01", {"oslo"}),
        ("joined_after=2004-01-01&joined_before=2010-01-01", {"copenhagen"}),
        ("left_after=2019-01-01", {"vejle"}),
        ("left_before=2018-01-01", set()),
        ("member_on=2002-06-01", {"oslo"}),
        ("member_on=2016-06-01", {"oslo", "copenhagen", "vejle"}),
        ("member_on=2020-01-01", {"oslo", "copenhagen"}),
        ("current=true", {"oslo", "copenhagen"}),
        ("current=false", {"vejle"}),
        ("took_effect=false", set()),
        ("search=copen", {"copenhagen"}),
        ("search=resilient", {"vejle"}),
    ],
)
def test_filters_memberships(client, spells, query, expected):
    response = client.get(f"/api/v1/memberships/?{query}")
    assert ids(response) == {spells[name].pk for name in expected}


def test_filters_memberships_by_source(client, spells):
    source = spells["oslo"].source
    assert ids(client.get(f"/api/v1/memberships/?source={source.pk}")) == {spells["oslo"].pk}


def test_orders_memberships_by_the_field_asked_for(client, spells):
    rows = client.get("/api/v1/memberships/?ordering=-joined").json()["results"]
    assert [row["city"] for row in rows] == ["vejle", "copenhagen", "oslo"]
    rows = client.get("/api/v1/memberships/?ordering=country,city").json()["results"]
    assert [row["city"] for row in rows] == ["copenhagen", "vejle", "oslo"]


def test_member_on_uses_the_membership_queryset_rule(client, spells):
    day = datetime.date(2016, 6, 1)
    expected = set(Membership.objects.member_on(day).values_list("pk", flat=True))
    assert ids(client.get(f"/api/v1/memberships/?member_on={day}")) == expected


@pytest.mark.parametrize(
    "query",
    [
        "member_on=notadate",
        "joined_after=2019-13-01",
        "left_before=yesterday",
        "type=honorary",
        "round=abc",
        "round=-1",
        "source=x",
        "current=maybe&member_on=2019-02-30",
        "ordering=password",
        "page=0",
        "page=abc",
        "page=%C2%B2",
        "city_kind=village",
        "network=" + "x" * 201,
        "network=a%00b",
    ],
)
def test_malformed_filter_values_are_400_naming_the_parameter(client, spells, query):
    response = client.get(f"/api/v1/memberships/?{query}")
    assert response.status_code == 400
    names = {part.split("=")[0] for part in query.split("&")}
    # A date range's errors are under its name without _after/_before.
    assert set(response.json()) & (names | {name.rsplit("_", 1)[0] for name in names})


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/codings/?salience_min=abc",
        "/api/v1/codings/?salience_min=9",
        "/api/v1/codings/?outcome=great",
        "/api/v1/codings/?evidence_kind=rumour",
        "/api/v1/cities/?member_on=2019-02-30",
        "/api/v1/engagement/?observed_after=soon",
        "/api/v1/engagement/?level=7",
        "/api/v1/codes/?kind=feeling",
        "/api/v1/sources/?year=MMXVIII",
        "/api/v1/participations/?involvement=always",
    ],
)
def test_malformed_filter_values_on_other_lists_are_400(client, url):
    assert client.get(url).status_code == 400


@pytest.fixture
def codings():
    eurocities = NetworkFactory(slug="eurocities")
    oslo = CityFactory(slug="oslo", country="NO")
    copenhagen = CityFactory(slug="copenhagen", country="DK")
    knowledge = CodeFactory(code="knowledge")
    appropriateness = CodeFactory(code="appropriateness", kind=Code.Kind.LOGIC)
    interview = SourceFactory()
    made = {
        "oslo-knowledge": CodingFactory(city=oslo, network=eurocities, code=knowledge, salience=3),
        "copenhagen-knowledge": CodingFactory(
            city=copenhagen, network=eurocities, code=knowledge, salience=3, outcome=Coding.Outcome.MIXED
        ),
        "oslo-appropriateness": CodingFactory(
            city=oslo,
            network=eurocities,
            code=appropriateness,
            salience=1,
            outcome="",
            perspective=Coding.Perspective.RESEARCHER,
        ),
        "network-knowledge": CodingFactory(
            city=None, network=eurocities, code=knowledge, salience=2, perspective=Coding.Perspective.NETWORK
        ),
    }
    EvidenceFactory(
        coding=made["oslo-knowledge"], source=interview, kind=Evidence.Kind.QUOTE, text="Erfaringsudveksling"
    )
    EvidenceFactory(coding=made["copenhagen-knowledge"], text="less than hoped")
    made["interview"] = interview
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("code=knowledge", {"oslo-knowledge", "copenhagen-knowledge", "network-knowledge"}),
        ("code_kind=logic", {"oslo-appropriateness"}),
        ("salience_min=3", {"oslo-knowledge", "copenhagen-knowledge"}),
        ("salience_min=2&salience_max=2", {"network-knowledge"}),
        ("outcome=mixed", {"copenhagen-knowledge"}),
        ("perspective=researcher", {"oslo-appropriateness"}),
        ("network_as_whole=true", {"network-knowledge"}),
        ("network_as_whole=false&city=oslo", {"oslo-knowledge", "oslo-appropriateness"}),
        ("country=dk", {"copenhagen-knowledge"}),
        ("evidence_kind=quote", {"oslo-knowledge"}),
        ("search=hoped", {"copenhagen-knowledge"}),
        ("search=erfaring", {"oslo-knowledge"}),
        ("network=eurocities&code=knowledge&salience_min=3&outcome=met", {"oslo-knowledge"}),
    ],
)
def test_filters_codings(client, codings, query, expected):
    assert ids(client.get(f"/api/v1/codings/?{query}")) == {codings[name].pk for name in expected}


def test_filters_codings_by_evidence_source(client, codings):
    response = client.get(f"/api/v1/codings/?source={codings['interview'].pk}")
    assert ids(response) == {codings["oslo-knowledge"].pk}


def test_search_in_evidence_does_not_repeat_a_coding_with_several_matches(client, codings):
    EvidenceFactory(coding=codings["copenhagen-knowledge"], text="hoped for more")
    assert client.get("/api/v1/codings/?search=hoped").json()["count"] == 1


def test_filters_cities_by_membership_on_one_spell(client, spells):
    # Copenhagen was a member of Eurocities in 2006, but Vejle (DK) of 100RC only later.
    assert ids(client.get("/api/v1/cities/?network=eurocities&member_on=2006-01-01")) == {"oslo", "copenhagen"}
    assert ids(client.get("/api/v1/cities/?network=100rc&member_on=2006-01-01")) == set()
    assert ids(client.get("/api/v1/cities/?round=1")) == {"vejle"}
    assert ids(client.get("/api/v1/cities/?membership_type=associate&country=DK")) == {"copenhagen"}


def test_filters_cities_by_country_and_kind_and_searches_names(client):
    CityFactory(slug="oslo", name="Oslo", country="NO")
    CityFactory(slug="greater-oslo", name="Greater Oslo", country="NO", kind=City.Kind.METROPOLITAN)
    CityFactory(slug="aarhus", name="Aarhus", country="DK")
    assert ids(client.get("/api/v1/cities/?country=no")) == {"oslo", "greater-oslo"}
    assert ids(client.get("/api/v1/cities/?kind=metropolitan")) == {"greater-oslo"}
    assert ids(client.get("/api/v1/cities/?search=oslo")) == {"oslo", "greater-oslo"}


def test_filters_networks(client):
    NetworkFactory(slug="eurocities", scope="regional", region="Europe", politically_led=True)
    NetworkFactory(slug="100rc", scope="global", focus="specialised", politically_led=False)
    assert ids(client.get("/api/v1/networks/?scope=regional")) == {"eurocities"}
    assert ids(client.get("/api/v1/networks/?focus=specialised")) == {"100rc"}
    assert ids(client.get("/api/v1/networks/?politically_led=false")) == {"100rc"}
    assert ids(client.get("/api/v1/networks/?region=Europe")) == {"eurocities"}


def test_filters_participations_by_sub_network_and_unit_kind(client):
    forum = SubNetworkFactory(slug="environment")
    in_forum = ParticipationFactory(network=forum.network, subnetwork=forum)
    political = ParticipationFactory(network=forum.network, unit="Mayor", unit_kind=Participation.UnitKind.POLITICAL)
    assert ids(client.get("/api/v1/participations/?subnetwork=environment")) == {in_forum.pk}
    assert ids(client.get("/api/v1/participations/?unit_kind=political")) == {political.pk}


def test_filters_sub_networks_by_network_and_kind(client):
    forum = SubNetworkFactory(network=NetworkFactory(slug="eurocities"))
    SubNetworkFactory(kind="working_group")
    assert ids(client.get("/api/v1/subnetworks/?network=eurocities")) == {forum.pk}
    assert ids(client.get("/api/v1/subnetworks/?kind=forum")) == {forum.pk}


def test_filters_engagement_by_level_and_date(client):
    peak = EngagementObservationFactory(observed_on=datetime.date(2010, 1, 1), level=3, is_peak=True)
    EngagementObservationFactory(observed_on=datetime.date(2018, 1, 1), level=1)
    assert ids(client.get("/api/v1/engagement/?level=3")) == {peak.pk}
    assert ids(client.get("/api/v1/engagement/?observed_before=2012-01-01")) == {peak.pk}
    assert ids(client.get("/api/v1/engagement/?is_peak=true")) == {peak.pk}


def test_filters_codes_by_kind_and_sources_by_kind(client):
    logic = CodeFactory(code="appropriateness", kind=Code.Kind.LOGIC)
    CodeFactory(code="knowledge")
    study = SourceFactory(kind="study")
    SourceFactory(kind="document")
    assert ids(client.get("/api/v1/codes/?kind=logic")) == {logic.code}
    assert ids(client.get("/api/v1/sources/?kind=study")) == {study.pk}


@pytest.mark.parametrize("search", [" ".join(["word"] * 200), "x" * 201])
def test_overlong_search_is_a_400_not_a_server_error(client, search):
    response = client.get("/api/v1/codings/", {"search": search})
    assert response.status_code == 400
    assert "search" in response.json()
