"""The search's indexes on PostgreSQL (migration 0009): the conditions site search reads are ones
its indexes answer, and narrowing evidence to what its stored texts hold finds exactly what
the search finds without it, as each reader may see it. Skipped on SQLite, which has none."""

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection

from networks import search
from networks.importing.study import study_load
from networks.models import Coding
from networks.models import Evidence
from networks.search import site_search
from tests.factories import EvidenceFactory
from tests.factories import SourceFactory
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the search indexes are PostgreSQL's"),
]


def plan(queryset) -> str:
    """PostgreSQL's plan for `queryset` with reading every row made the last resort, so it shows
    whether an index can answer the conditions at all (a small table is otherwise read whole)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_place_names_are_matched_from_their_trigram_indexes():
    query = search.parse("Copenhagn")
    places, _exact, _rank = search._places(query)
    shown = plan(places.values("pk"))
    assert "cities_city_name_upper_trgm_idx" in shown and "cities_city_name_trgm_idx" in shown


def test_evidence_is_narrowed_from_its_full_text_and_trigram_indexes():
    query = search.parse("lobbying Brussels")
    websearch = SearchQuery(query.text, config="english", search_type="websearch")
    candidates = Evidence.objects.alias(stored_document=search.STORED_DOCUMENT).filter(
        search._stored_candidates(query, websearch)
    )
    shown = plan(candidates.values("pk"))
    for index in ("stored_document", "text_trgm", "paraphrase_trgm", "original_trgm"):
        assert f"networks_evidence_{index}_idx" in shown


@pytest.fixture
def corpus():
    """The study, and evidence whose shown text differs from what it stores: paraphrase-only and
    restricted items, an English stem only full-text search finds, and a word only in a source label."""
    study_load()
    coding = Coding.objects.get(city__slug="vejle", code__code="knowledge")
    EvidenceFactory(coding=coding, text="They lobbied Brussels hard.", kind="quote")
    EvidenceFactory(
        coding=coding,
        text="SECRET we lobbied for money",
        visibility=Evidence.Visibility.PARAPHRASE_ONLY,
        public_paraphrase="The city sought funding in Brussels.",
    )
    EvidenceFactory(coding=coding, text="Restricted: lobbying Brussels.", visibility=Evidence.Visibility.RESTRICTED)
    EvidenceFactory(coding=coding, text="Nothing on the topic.", source=SourceFactory(label="Brussels notes 2019"))


def found(query: str, reader) -> list:
    results = site_search(query, reader, kind="codings")
    return [
        (hit.object.pk, [item["text"] for item in hit.evidence], [item["original"] for item in hit.evidence])
        for group in results.groups
        if group.kind == "codings"
        for hit in group.hits
    ]


QUERIES = [
    "lobbying",
    "lobbies Brussels",
    "funding",
    "Brussels notes",
    "knowledge sharing",
    '"lobby the EU"',
    "udveksling",
]


@pytest.mark.parametrize("who", ["public", "editor"])
@pytest.mark.parametrize("query", QUERIES)
def test_narrowing_by_stored_text_finds_exactly_what_the_search_finds(corpus, monkeypatch, query, who):
    reader = None if who == "public" else UserFactory(is_superuser=True, is_staff=True)
    narrowed = found(query, reader)
    monkeypatch.setattr(search, "_stored_candidates", lambda query, websearch: search.Q())
    assert narrowed == found(query, reader)
    # Something to compare: every query finds codings, but an editor reads the paraphrase-only
    # item's own words, which say nothing of funding.
    assert narrowed or (query, who) == ("funding", "editor")


def test_the_public_never_finds_evidence_by_words_it_may_not_read(corpus):
    assert found("money", None) == []
    assert found("money", UserFactory(is_superuser=True, is_staff=True)) != []
