"""The pages about many networks with a place in many of them, as a multi-network import
(ClimActor) leaves the register: nothing clipped at a phone's, a tablet's and a desktop's width,
charts drawn, and a city's portfolio drawn for its coded networks only."""

import datetime

import pytest

from cities.models import City
from networks.models import Membership
from networks.models import Source
from tests.factories import NetworkFactory

WIDTHS = (1280, 768, 360)
# Long names, as the networks and campaigns of a multi-network list have.
NAMES = [
    "Global Covenant of Mayors for Climate & Energy",
    "EU Covenant of Mayors for Climate & Energy",
    "C40 Cities Climate Leadership Group",
    "Carbon Neutral Cities Alliance",
    "ICLEI - Local Governments for Sustainability",
    "Under2 Coalition",
    "Climate Alliance",
    "C40 Clean Bus Declaration/Low emission vehicles",
    "Global Alliance for Buildings and Construction (GlobalABC)",
    "Net Zero Carbon Buildings Commitment",
    "Megacities Alliance for Water and Climate",
    "Cities and Regions' 5-year vision",
]
PAGES = [
    "/cities/copenhagen/",
    "/networks/overlap/?limit=20",
    "/networks/timeline/?limit=20",
    "/cities/?region=EU&population=500k-1m",
    # Its network menu lists every network by name.
    "/agreement/?network=eurocities",
]


@pytest.fixture
def many_networks(citynet):
    """Copenhagen in twelve more networks, known from one undated list (as ClimActor's snapshots
    are) or from a start year, with sixty other places spread over them."""
    source = Source.objects.create(kind="dataset", label="Many networks", citation="A list of many networks.")
    networks = [NetworkFactory(name=name, slug=f"many-{number}") for number, name in enumerate(NAMES)]
    copenhagen = City.objects.get(slug="copenhagen")
    places = [copenhagen, *City.objects.exclude(slug="copenhagen").order_by("pk")[:60]]
    Membership.objects.bulk_create(
        Membership(
            city=place,
            network=network,
            source=source,
            joined=datetime.date(2005 + n, 1, 1) if n % 2 else None,
            joined_precision="year",
            listed_on=datetime.date(2022, 12, 31),
        )
        for number, place in enumerate(places)
        for n, network in enumerate(networks)
        if place == copenhagen or (number + n) % 4 == 0
    )


def test_pages_about_many_networks_fit_every_width(visit, many_networks):
    page = visit.page
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in PAGES:
            visit.open(path)
            charts = page.locator(".chart-plot").count()
            assert page.locator(".chart-plot .main-svg").count() >= charts, path
            if width != 768:
                visit.screenshot("many-networks-" + path.strip("/").split("?")[0].replace("/", "-"))
            measured = visit.clipping()
            assert measured == {"overflow": False, "clipped": [], "broken": [], "uncued": [], "cut": []}, (path, width)
    assert visit.errors == []
    assert visit.outside_requests() == []


def test_a_city_in_thirteen_networks_draws_its_portfolio_for_the_coded_ones(visit, many_networks):
    page = visit.open("/cities/copenhagen/")
    networks = page.locator("section[aria-labelledby='all-networks'] table tbody tr")
    assert networks.count() == 13
    portfolio = page.locator("section[aria-labelledby='portfolio']")
    assert portfolio.locator("table.matrix tbody tr").count() == 1
    assert "Its 12 other networks" in portfolio.locator("p.hint").first.inner_text()
    ticks = page.evaluate("document.getElementById('chart-portfolio')._fullLayout.yaxis.ticktext")
    assert len(ticks) == 1 and "Eurocities" in ticks[0]
    assert visit.errors == []
