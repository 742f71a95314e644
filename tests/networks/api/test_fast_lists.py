"""The fast JSON pages of memberships, codings, evidence and places (networks.api.fast) are
what the serializers give: every row of the study's data, of generated data and of edge cases,
for the public, a signed-in reader and an editor who may read restricted evidence; and the
pages over HTTP are byte for byte the ones the serializers' path renders."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cities.serializers import CitySerializer
from citynet import caching
from networks.api import fast
from networks.api.fast import in_order
from networks.api.serializers import CodingSerializer
from networks.api.serializers import MembershipSerializer
from networks.api.serializers import QuoteSerializer
from networks.models import Code
from networks.models import Coding
from networks.models import Evidence
from networks.models import Membership
from networks.selectors import cities_for_list
from networks.tooling.synthetic import generate
from tests.factories import CityFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(db):
    """The study's data, a small generated data set, and the cases a serializer must get right:
    every visibility of evidence (with and without locator), a coding of a network as a whole
    and one not rated, an interview and a source with no short label, spells without dates,
    never started or with a listing date, a place without coordinates, line separators in text."""
    call_command("load_citynet", stdout=io.StringIO())
    generate(scale=0.002, seed=7)
    interview = SourceFactory(kind="interview", label="Informant 9", interview_number=9, year=2019)
    untitled = SourceFactory(label="", citation="A citation with no short label, " * 4)
    code = Code.objects.current().first()
    rated = CodingFactory(code=code, salience=2, outcome="", note="A note\u2028with a line separator")
    EvidenceFactory(coding=rated, visibility="public", original_text="Original", language="da", locator="p. 4")
    EvidenceFactory(coding=rated, visibility="paraphrase", public_paraphrase="In other words", source=interview)
    EvidenceFactory(coding=rated, visibility="paraphrase", public_paraphrase="Without locator", locator="")
    whole_network = CodingFactory(code=code, city=None, salience=None)
    EvidenceFactory(coding=whole_network, visibility="restricted", locator="min. 12")
    MembershipFactory(source=untitled, note="Ærø\u2029", application_round=3, listed_on=datetime.date(2025, 5, 18))
    MembershipFactory(joined=None, left=None, took_effect=False)
    MembershipFactory(left=datetime.date(2019, 12, 31), left_precision="year", type="observer")
    CityFactory(latitude=None, longitude=None, population=None, country="XK")


@pytest.fixture(params=["public", "reader", "editor"])
def who(request, reader, staff_user):
    """The reader: the public (None), a signed-in reader, an editor who may read restricted evidence."""
    return {"public": None, "reader": reader, "editor": staff_user}[request.param]


def generic(serializer_class, instances, **context) -> list[dict]:
    """What DRF's own fields give for `instances`, in `Meta.fields` order."""
    serializer = serializer_class(context=context)
    return [super(serializer_class, serializer).to_representation(instance) for instance in instances]


def test_membership_rows_are_what_the_serializer_gives(data):
    spells = list(Membership.objects.for_list().order_by("network__name", "city__name", "joined", "pk"))
    rows = fast.membership_rows([spell.pk for spell in spells])
    assert len(rows) > 300
    assert rows == generic(MembershipSerializer, spells)
    assert all(list(row) == MembershipSerializer.Meta.fields for row in rows)
    assert "never started" in {row["period"] for row in rows}


def test_city_rows_are_what_the_serializer_gives(data):
    places = list(cities_for_list())
    rows = fast.city_rows([place.pk for place in places])
    assert len(rows) > 300 and any(row["latitude"] is None for row in rows)
    assert rows == generic(CitySerializer, places)
    assert all(list(row) == list(CitySerializer().fields) for row in rows)


def test_coding_rows_are_what_the_serializer_gives(data, who):
    codings = list(Coding.objects.for_list(who).order_by("pk"))
    rows = fast.coding_rows([coding.pk for coding in codings], who)
    assert len(rows) > 400
    assert rows == generic(CodingSerializer, codings, request=None)
    assert all(list(row) == CodingSerializer.Meta.fields for row in rows)
    visibilities = {item["visibility"] for row in rows for item in row["evidence"]}
    assert visibilities == {"public", "paraphrase", "restricted"}


def test_quote_rows_are_what_the_serializer_gives(data, who):
    items = list(Evidence.objects.for_quote_table(who))
    rows = fast.quote_rows([item.pk for item in items], who)
    assert len(rows) > 500
    assert rows == generic(QuoteSerializer, items)
    assert all(list(row) == QuoteSerializer.Meta.fields for row in rows)


def test_restricted_evidence_shows_only_to_those_who_may_read_it(data, reader, staff_user):
    restricted = Evidence.objects.filter(visibility="restricted", locator="min. 12").get()
    for who, shown in [(None, ""), (reader, ""), (staff_user, restricted.text)]:
        (quote,) = fast.quote_rows([restricted.pk], who)
        (coding,) = fast.coding_rows([restricted.coding_id], who)
        assert quote["text"] == coding["evidence"][0]["text"] == shown
        assert quote["locator"] == coding["evidence"][0]["locator"] == (shown and "min. 12")


def test_rows_come_in_the_order_of_the_ids_asked_for(data):
    ids = list(Coding.objects.order_by("-pk").values_list("pk", flat=True)[:7])
    assert [row["id"] for row in fast.coding_rows([*ids, 0])] == ids
    assert fast.membership_rows([]) == fast.city_rows([]) == fast.quote_rows([]) == []


PAGES = [
    "/api/v1/memberships/?page=2&page_size=100",
    "/api/v1/memberships/?network=eurocities&cursor=*",
    "/api/v1/codings/?page=3",
    "/api/v1/codings/?cursor=*&page_size=500",
    "/api/v1/codings/?search=network",
    "/api/v1/evidence/",
    "/api/v1/evidence/?page=last",
    "/api/v1/cities/?page_size=500",
    "/api/v1/cities/?page=9999",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_byte_for_byte_those_of_the_serializers(client, staff_client, data, monkeypatch, path):
    """The same bodies as the serializers' path renders (DRF's encoder, model instances): for
    the public and for an editor, whose evidence differs."""
    built = []
    monkeypatch.setattr(fast, "in_order", lambda ids, rows: built.append(ids) or in_order(ids, rows))
    for browser in (client, staff_client):
        fast_body = browser.get(path).content
        assert built, "the fast path built no rows"
        with monkeypatch.context() as patch:
            patch.setattr(fast, "available", lambda: False)
            slow_body = browser.get(path).content
        assert fast_body == slow_body
    assert b'"results":[' in fast_body


def test_a_time_zone_other_than_utc_takes_the_serializers_path(client, data, settings):
    settings.TIME_ZONE = "Europe/Oslo"
    spell = Membership.objects.for_list().order_by("network__name", "city__name", "joined", "pk").first()
    (row,) = [row for row in client.get("/api/v1/memberships/").json()["results"] if row["id"] == spell.pk]
    assert row["created_at"] == MembershipSerializer().to_representation(spell)["created_at"]
    assert row["created_at"].endswith("+01:00") or row["created_at"].endswith("+02:00")


@pytest.mark.parametrize("n", [3, 12])
@pytest.mark.parametrize(
    ("path", "queries"),
    [
        # the place by slug, count, the page's ids, those evidence items with their coding and source,
        # the studies cited, the newest release for `citation`
        ("/api/v1/evidence/?city=oslo&page=2&page_size=2", 6),
        # count, the first ids by id, those codings, their evidence, the studies cited, the newest release
        ("/api/v1/codings/?cursor=*&page_size=2", 6),
        # count, the first ids by id, those places with their spells counted, the newest release
        ("/api/v1/cities/?cursor=*&page_size=2", 4),
    ],
)
def test_fast_pages_run_the_same_queries_for_small_and_large_data(client, django_assert_num_queries, n, path, queries):
    oslo = CityFactory(slug="oslo")
    for _ in range(n):
        coding = CodingFactory(city=oslo)
        EvidenceFactory.create_batch(2, coding=coding)
        MembershipFactory(city=oslo, network=coding.network)
    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200


def test_a_list_is_counted_once_per_data_version(client, monkeypatch):
    """Every page of a filtered list has the same count: it is counted on the first page only
    while the data version is unchanged (citynet.versioned), and again after a write."""
    version = {"value": "1"}
    monkeypatch.setattr(caching, "data_version", lambda: caching.Version(version["value"], None))
    MembershipFactory.create_batch(3)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/api/v1/cities/?page_size=1").json()["count"] == 3
    with CaptureQueriesContext(connection) as second:
        assert client.get("/api/v1/cities/?page_size=1&page=2").json()["count"] == 3
    assert len(second) == len(first) - 2  # the count and the newest release: kept
    assert not any(query["sql"].startswith("SELECT COUNT(*)") for query in second)
    CityFactory()
    version["value"] = "2"  # what the write's trigger does outside a test's transaction
    assert client.get("/api/v1/cities/?page_size=1&page=3").json()["count"] == 4
