"""The API's resources: each list and detail answers, with related names embedded."""

import datetime

import pytest

from cities.api import CityViewSet
from cities.models import City
from networks.api import viewsets as api
from networks.models import Coding
from tests.factories import API_RESOURCES
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


def test_api_root_links_every_resource_the_aggregates_and_the_docs(client):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    assert set(response.json()) == {
        "cities",
        "networks",
        "memberships",
        "subnetworks",
        "participations",
        "codes",
        "sources",
        "codings",
        "engagement",
        "evidence",
        "releases",
        "matrix",
        "agreement",
        "schema",
        "docs",
        "redoc",
    }
    assert response.json()["matrix"] == "http://testserver/api/v1/matrix/"


def test_api_root_is_browsable(client):
    response = client.get("/api/v1/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "Django REST framework" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "factory"),
    [
        *[(f"/api/v1/{resource}/", factory) for resource, (factory, _) in API_RESOURCES.items()],
        ("/api/v1/evidence/", EvidenceFactory),
    ],
)
def test_lists_each_resource_as_a_page_with_attribution(client, url, factory):
    factory.create_batch(3)
    response = client.get(url)
    body = response.json()
    assert response.status_code == 200
    assert list(body) == ["count", "next", "previous", "attribution", "citation", "results"]
    assert len(body["results"]) == body["count"] >= 3


def test_gets_a_city_by_its_slug(client):
    CityFactory(name="Oslo", slug="oslo", country="NO")
    response = client.get("/api/v1/cities/oslo/")
    assert response.status_code == 200
    assert response.json()["name"] == "Oslo" and response.json()["country_name"] == "Norway"


def test_gets_a_network_by_its_slug_with_counts_and_themes(client):
    network = NetworkFactory(name="Eurocities", slug="eurocities")
    MembershipFactory.create_batch(2, network=network)
    response = client.get("/api/v1/networks/eurocities/")
    assert response.status_code == 200
    assert response.json()["n_members"] == 2 and response.json()["themes"] == []


def test_gets_a_code_by_its_code_in_the_current_codebook(client):
    CodeFactory(code="knowledge", name="Knowledge sharing")
    response = client.get("/api/v1/codes/knowledge/")
    assert response.status_code == 200
    assert response.json()["name"] == "Knowledge sharing"


def test_gets_a_code_of_an_older_codebook_version_when_asked(client):
    from tests.factories import CodebookVersionFactory

    old = CodebookVersionFactory(label="2017", is_current=False, released=datetime.date(2017, 1, 1))
    CodeFactory(code="knowledge", name="Old knowledge", version=old)
    CodeFactory(code="knowledge", name="Knowledge sharing")
    assert client.get("/api/v1/codes/knowledge/").json()["name"] == "Knowledge sharing"
    assert client.get("/api/v1/codes/knowledge/?version=2017").json()["name"] == "Old knowledge"


def test_unknown_slug_is_404(client):
    assert client.get("/api/v1/cities/atlantis/").status_code == 404


def test_membership_embeds_city_network_and_source(client):
    source = SourceFactory(label="Member list 2018", citation="Eurocities (2018). Members.", url="https://x.example")
    membership = MembershipFactory(
        city=CityFactory(name="Oslo", slug="oslo", country="NO"),
        network=NetworkFactory(name="Eurocities", slug="eurocities"),
        source=source,
    )
    response = client.get(f"/api/v1/memberships/{membership.pk}/")
    row = response.json()
    assert (row["city"], row["city_name"], row["country"]) == ("oslo", "Oslo", "NO")
    assert (row["network"], row["network_name"]) == ("eurocities", "Eurocities")
    assert (row["source_label"], row["source_citation"], row["source_url"]) == (
        "Member list 2018",
        "Eurocities (2018). Members.",
        "https://x.example",
    )
    assert row["period"] == "2014–"


def test_coding_embeds_its_evidence_with_citations(client):
    coding = CodingFactory(salience=3)
    EvidenceFactory(coding=coding, text="We learn a lot.", locator="p. 67", source=SourceFactory(label="Interview 2"))
    row = client.get(f"/api/v1/codings/{coding.pk}/").json()
    assert row["salience_label"] == "central"
    assert [(item["text"], item["citation"]) for item in row["evidence"]] == [("We learn a lot.", "Interview 2, p. 67")]


def test_coding_of_a_network_as_a_whole_has_no_city(client):
    coding = CodingFactory(city=None, perspective=Coding.Perspective.NETWORK)
    row = client.get(f"/api/v1/codings/{coding.pk}/").json()
    assert (row["city"], row["city_name"], row["country"]) == (None, None, None)


def test_participation_names_its_sub_network(client):
    subnetwork = SubNetworkFactory(name="Environment Forum")
    participation = ParticipationFactory(network=subnetwork.network, subnetwork=subnetwork)
    row = client.get(f"/api/v1/participations/{participation.pk}/").json()
    assert (row["subnetwork"], row["subnetwork_name"]) == (subnetwork.pk, "Environment Forum")


def test_engagement_observation_shows_level_and_date_as_known(client):
    observation = EngagementObservationFactory(observed_on=datetime.date(2010, 1, 1), approximate=True, level=3)
    row = client.get(f"/api/v1/engagement/{observation.pk}/").json()
    assert (row["observed_display"], row["level_label"]) == ("about 2010", "High")


def test_pages_carry_count_and_next_and_previous_links(client):
    CityFactory.create_batch(5)
    first = client.get("/api/v1/cities/?page_size=2").json()
    second = client.get(first["next"]).json()
    assert first["count"] == 5 and first["previous"] is None
    assert second["previous"] == "http://testserver/api/v1/cities/?page_size=2"
    assert {row["slug"] for row in first["results"]}.isdisjoint(row["slug"] for row in second["results"])


def test_page_size_is_capped_at_500(client):
    City.objects.bulk_create(City(name=f"Place {n}", slug=f"place-{n}", country="NO") for n in range(501))
    body = client.get("/api/v1/cities/?page_size=100000").json()
    assert len(body["results"]) == 500 and body["next"] is not None


def test_client_chooses_a_smaller_page_size(client):
    CityFactory.create_batch(3)
    assert len(client.get("/api/v1/cities/?page_size=2").json()["results"]) == 2


def test_page_past_the_end_is_empty_and_links_back_to_the_last_page(client):
    CityFactory.create_batch(3)
    body = client.get("/api/v1/cities/?page_size=2&page=999").json()
    assert body["results"] == [] and body["count"] == 3 and body["next"] is None
    assert body["previous"] == "http://testserver/api/v1/cities/?page=2&page_size=2"


def test_last_page_by_name(client):
    CityFactory.create_batch(3)
    assert len(client.get("/api/v1/cities/?page_size=2&page=last").json()["results"]) == 1


@pytest.mark.parametrize(
    ("url", "factory"),
    [
        ("/api/v1/cities/", CityFactory),
        ("/api/v1/memberships/", MembershipFactory),
        ("/api/v1/codings/", CodingFactory),
        ("/api/v1/matrix/", CodingFactory),
    ],
)
def test_browsable_api_renders_lists_with_forms_for_staff(staff_client, url, factory):
    factory()
    response = staff_client.get(url, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "Django REST framework" in response.content.decode()


def test_browsable_api_renders_a_detail_with_its_json_edit_form_for_staff(staff_client):
    membership = MembershipFactory()
    response = staff_client.get(f"/api/v1/memberships/{membership.pk}/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    html = response.content.decode()
    # The API takes JSON only: the page offers the record as JSON to edit, not an HTML form.
    assert 'name="_content"' in html and "&quot;joined&quot;" in html
    assert 'name="joined"' not in html


def test_an_address_the_api_does_not_have_is_a_json_404(client):
    response = client.get("/api/v1/memberships/not-a-number/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert client.post("/api/v1/nothing/here/").status_code == 404


def test_an_address_without_its_trailing_slash_still_redirects(client):
    response = client.get("/api/v1/cities")  # 308, not 301: a write is repeated, not turned into a GET
    assert response.status_code == 308 and response["Location"] == "/api/v1/cities/"


@pytest.mark.parametrize(
    ("resource", "factory", "key"), [(resource, factory, key) for resource, (factory, key) in API_RESOURCES.items()]
)
def test_gets_each_resource_by_its_key(client, resource, factory, key):
    obj = factory()
    response = client.get(f"/api/v1/{resource}/{getattr(obj, key)}/")
    assert response.status_code == 200
    assert response.json().get("id", response.json().get(key)) == getattr(obj, key)


VIEWSETS = [
    CityViewSet,
    api.NetworkViewSet,
    api.MembershipViewSet,
    api.SubNetworkViewSet,
    api.ParticipationViewSet,
    api.CodeViewSet,
    api.SourceViewSet,
    api.CodingViewSet,
    api.EngagementObservationViewSet,
]


@pytest.mark.parametrize(
    ("resource", "dimension"),
    [(viewset.resource, dimension) for viewset in VIEWSETS for dimension in viewset.facet_dimensions],
)
def test_counts_each_resource_by_each_dimension(client, resource, dimension):
    for factory in (MembershipFactory, ParticipationFactory, EngagementObservationFactory):
        factory()
    EvidenceFactory(coding=CodingFactory())
    SubNetworkFactory()
    body = client.get(f"/api/v1/{resource}/facets/?dimension={dimension}").json()
    assert body["dimension"] == dimension
    assert body["total"] == client.get(f"/api/v1/{resource}/").json()["count"] > 0


def test_membership_pages_are_what_the_serializer_gives(client):
    """MembershipSerializer writes a spell without DRF's per-field machinery; the JSON is what
    DRF's fields give, in the order of Meta.fields."""
    from networks.api.serializers import MembershipSerializer
    from networks.models import Membership

    untitled = SourceFactory(label="", citation="A citation with no short label, " * 4)
    MembershipFactory(source=untitled, note="A note", application_round=3, listed_on=datetime.date(2025, 5, 18))
    MembershipFactory(joined=None, left=None, took_effect=False)
    MembershipFactory(left=datetime.date(2019, 12, 31), left_precision="year", type="observer")
    results = client.get("/api/v1/memberships/").json()["results"]
    spells = Membership.objects.for_list().order_by("network__name", "city__name", "joined", "pk")
    serializer = MembershipSerializer()
    generic = [super(MembershipSerializer, serializer).to_representation(spell) for spell in spells]
    assert results == [serializer.to_representation(spell) for spell in spells] == generic
    assert all(list(result) == MembershipSerializer.Meta.fields for result in results)
    detail = client.get(f"/api/v1/memberships/{spells[0].pk}/").json()
    assert detail == generic[0] and list(detail) == list(generic[0])


def test_coding_and_evidence_pages_are_what_the_serializers_give(client):
    """CodingSerializer and QuoteSerializer write a row without DRF's per-field machinery; the
    JSON is what DRF's fields give, in the order of Meta.fields: for a place and the network
    as a whole, rated and not, every visibility of evidence."""
    from networks.api.serializers import CodingSerializer
    from networks.api.serializers import QuoteSerializer
    from networks.models import Evidence

    interview = SourceFactory(label="", citation="An interview with no short label, " * 4)
    rated = CodingFactory(salience=2, outcome="", note="A note")
    EvidenceFactory(coding=rated, visibility="public", original_text="Original", language="da", locator="p. 4")
    EvidenceFactory(coding=rated, visibility="paraphrase", public_paraphrase="In other words", source=interview)
    EvidenceFactory(coding=CodingFactory(city=None, salience=None), visibility="restricted", locator="min. 12")
    codings = Coding.objects.for_list().order_by("network__name", "city__name", "code__kind", "code__position", "pk")
    coding_serializer = CodingSerializer(context={"request": None})
    generic = [super(CodingSerializer, coding_serializer).to_representation(coding) for coding in codings]
    results = client.get("/api/v1/codings/").json()["results"]
    assert results == generic and all(list(row) == CodingSerializer.Meta.fields for row in results)
    assert {row["salience"] for row in results} == {2, None} and None in {row["city"] for row in results}

    items = Evidence.objects.for_quote_table()
    quote_serializer = QuoteSerializer()
    generic = [super(QuoteSerializer, quote_serializer).to_representation(item) for item in items]
    results = client.get("/api/v1/evidence/").json()["results"]
    assert results == generic and all(list(row) == QuoteSerializer.Meta.fields for row in results)
    assert {row["visibility"] for row in results} == {"public", "paraphrase", "restricted"}
