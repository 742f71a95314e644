"""Every list, export and aggregate runs a fixed number of queries, whatever the data size."""

import json

import pytest

from networks.models import Code
from networks.models import Network
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
from tests.factories import ThemeFactory

pytestmark = pytest.mark.django_db

SIZES = [2, 20]


def populate(n: int) -> None:
    """n cities, each a member of two networks, with a coding with two pieces of evidence in each,
    a participation in a sub-network and an engagement observation."""
    study = SourceFactory(kind="study")
    interview = SourceFactory(kind="interview", part_of=study, interview_number=1)
    networks = NetworkFactory.create_batch(2)
    for network in networks:
        network.themes.add(ThemeFactory())
        network.regional_offices.add(CityFactory())
    subnetwork = SubNetworkFactory(network=networks[0])
    codes = [CodeFactory(), CodeFactory(kind=Code.Kind.LOGIC)]
    for index, city in enumerate(CityFactory.create_batch(n)):
        ParticipationFactory(city=city, network=networks[0], subnetwork=subnetwork, source=interview)
        EngagementObservationFactory(city=city, network=networks[0], source=interview)
        for network in networks:
            MembershipFactory(city=city, network=network)
            coding = CodingFactory(city=city, network=network, code=codes[index % 2])
            EvidenceFactory.create_batch(2, coding=coding, source=interview)
        SubNetworkFactory(network=networks[1])
        SourceFactory()


def read(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


# A list page reads the ids of its rows first, then those rows (networks.api.pagination.page_rows).
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # count, the page's ids, one page of cities with n_memberships, the newest release for `citation`
        ("/api/v1/cities/", 4),
        # count, the page's ids, one page of networks with counts and head office, themes, regional offices,
        # the studies cited by their member count sources, the newest release for `citation`
        ("/api/v1/networks/", 7),
        # count, the page's ids, one page of spells with city, network and source, the newest release for `citation`
        ("/api/v1/memberships/?page_size=500", 4),
        # count, the page's ids, one page of sub-networks with network and parent, the studies cited by their sources,
        # the newest release for `citation`
        ("/api/v1/subnetworks/", 5),
        # count, the page's ids, one page with city, network, sub-network and source, the studies cited by the sources,
        # the newest release for `citation`
        ("/api/v1/participations/", 5),
        # count, the page's ids, one page of codes with their version, the studies the versions are based on,
        # the newest release for `citation`
        ("/api/v1/codes/", 5),
        # count, the page's ids, one page of sources, the studies among them or reporting them,
        # the newest release for `citation`
        ("/api/v1/sources/", 5),
        # count, the page's ids, one page of codings with city, network, code and coder, their evidence with its
        # source, the studies cited by the evidence, the newest release for `citation`
        ("/api/v1/codings/?page_size=500", 6),
        # count, the page's ids, one page with city, network and source, the studies cited by the sources,
        # the newest release for `citation`
        ("/api/v1/engagement/", 5),
        # the networks and the sources of the spells (each written once), every spell with its
        # city, the newest release for the `# Cite as` lines
        ("/api/v1/memberships/?format=csv", 4),
        # every coding with city, network, code and coder, their evidence, the studies cited,
        # the newest release for the `# Cite as` lines
        ("/api/v1/codings/?format=csv", 4),
        # spells counted by country, the newest release for `citation`
        ("/api/v1/memberships/facets/?dimension=country", 2),
        # codings counted by code, the studies cited by their evidence, the newest release for `citation`
        ("/api/v1/codings/facets/?dimension=code&salience_min=1", 3),
        # codings with city, network, code and coder, their evidence, the codebook, the studies and
        # their parts, which of them the evidence cites, the newest release for `citation`
        ("/api/v1/matrix/", 6),
    ],
)
def test_api_runs_the_same_queries_for_small_and_large_data(client, django_assert_num_queries, n, url, queries):
    populate(n)
    with django_assert_num_queries(queries):
        read(client.get(url))


@pytest.mark.parametrize("n", SIZES)
def test_matrix_of_one_network_runs_seven_queries(client, django_assert_num_queries, n):
    populate(n)
    network = CodingFactory().network
    # the network by slug, its codings with city, network, code and coder, their evidence,
    # the codebook, the studies and their parts, which of them the evidence cites, the newest
    # release for `citation`
    with django_assert_num_queries(7):
        read(client.get(f"/api/v1/matrix/?network={network.slug}"))


@pytest.mark.parametrize("n", SIZES)
def test_portfolio_runs_six_queries(client, django_assert_num_queries, n):
    city = CityFactory(slug="oslo")
    for network in NetworkFactory.create_batch(n):
        MembershipFactory(city=city, network=network)
        EvidenceFactory.create_batch(2, coding=CodingFactory(city=city, network=network))
    # the city, its spells with network, its codings (network, code and salience: no evidence),
    # the codebook, the studies cited, the newest release for `citation`
    with django_assert_num_queries(6):
        body = read(client.get("/api/v1/cities/oslo/portfolio/"))
    assert body.count(b'"spells"') == n


@pytest.mark.parametrize("n", SIZES)
def test_coding_detail_runs_two_queries(client, django_assert_num_queries, n):
    coding = CodingFactory()
    EvidenceFactory.create_batch(n, coding=coding)
    # the coding with city, network, code and coder, its evidence with source
    with django_assert_num_queries(2):
        read(client.get(f"/api/v1/codings/{coding.pk}/"))


@pytest.mark.parametrize("n", [8, 30])
@pytest.mark.parametrize("page", [1, 3])
@pytest.mark.parametrize(
    ("path", "queries"),
    [
        # the network's id by slug, count, the page's ids, one page of spells with city, network and source,
        # the newest release for `citation`
        ("/api/v1/memberships/?network={network}", 5),
        # the network's id by slug, count, the page's ids, one page of codings with city, network, code and coder,
        # their evidence with its source, the studies cited by the evidence, the newest release for `citation`
        ("/api/v1/codings/?network={network}", 7),
        # count, the page's ids, one page of cities with n_memberships, the newest release for `citation`
        ("/api/v1/cities/?", 4),
        # the network's id by slug, count, the page's ids, one page of evidence with its coding's city, network, code
        # and coder and its source, the studies cited by the sources, the newest release for `citation`
        ("/api/v1/evidence/?network={network}", 6),
    ],
)
def test_a_page_of_a_list_runs_the_same_queries_whatever_its_number_and_the_data_size(
    client, django_assert_num_queries, n, page, path, queries
):
    # The pages manage.py benchmark --datasette compares with Datasette (issue 14), pages of 3
    # so that page 3 is there at either size.
    populate(n)
    network = Network.objects.filter(memberships__isnull=False).order_by("pk").first()
    url = path.format(network=network.slug) + f"&page={page}&page_size=3"
    with django_assert_num_queries(queries):
        body = read(client.get(url))
    assert json.loads(body)["results"]  # a page of rows, not the empty one past the end
