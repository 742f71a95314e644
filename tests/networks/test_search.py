"""The site search (networks/search.py, /search/): it knows the domain's names and wordings,
puts exact name matches first, counts by kind, marks what matched, and shows only the evidence
a reader may read. Runs on SQLite and PostgreSQL; what needs pg_trgm is skipped elsewhere."""

import pytest
from django.db import connection
from django.urls import reverse

from networks.importing.study import study_load
from networks.models import Code
from networks.models import Coding
from networks.models import Evidence
from networks.search import site_search
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import NetworkFactory
from tests.factories import SourceFactory
from tests.factories import SubNetworkFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="misspellings are found by pg_trgm's similarity, on PostgreSQL only (SQLite matches by contains)",
)


@pytest.fixture
def study():
    study_load()


def group(results, kind: str):
    return next(group for group in results.groups if group.kind == kind)


def test_knowledge_sharing_finds_every_coding_of_the_function_with_all_its_evidence(study):
    results = site_search("knowledge sharing")

    knowledge = Coding.objects.filter(code__code="knowledge")
    codings = group(results, "codings")
    first = codings.hits[: knowledge.count()]
    assert {hit.object.pk for hit in first} == set(knowledge.values_list("pk", flat=True))
    assert sum(len(hit.evidence) for hit in first) == Evidence.objects.filter(coding__code__code="knowledge").count()
    assert sum(len(hit.evidence) for hit in first) == 9
    # The code and its codings are exact matches, so they come first.
    assert [g.kind for g in results.groups[:2]] == ["codes", "codings"]
    assert group(results, "codes").hits[0].object.code == "knowledge"


def test_a_place_named_exactly_comes_first_and_then_its_codings(study):
    results = site_search("Oslo")

    assert results.groups[0].kind == "places"
    assert results.groups[0].hits[0].object.name == "Oslo"
    assert results.groups[1].kind == "codings"
    oslo = Coding.objects.filter(city__name="Oslo").count()
    hits = results.groups[1].hits
    assert [hit.object.city.name for hit in hits[:oslo]] == ["Oslo"] * oslo
    assert all(hit.exact for hit in hits[:oslo]) and not any(hit.exact for hit in hits[oslo:])


def test_lobbying_finds_representation_and_its_codings(study):
    results = site_search("lobbying")

    [code] = group(results, "codes").hits
    assert code.object.code == "representation" and code.exact
    assert "“lobbying” is a common wording" in code.note
    found = {hit.object.pk for hit in group(results, "codings").hits}
    assert set(Coding.objects.filter(code__code="representation").values_list("pk", flat=True)) <= found


@pytest.mark.parametrize("text", ["Interview 2", "interview 2, 2018", "Interview no. 2"])
def test_an_interview_is_found_by_the_name_pages_give_it_whatever_the_study_calls_it(study, text):
    # The study cites interview 2 as "Informant 2, 2018"; every page names it "Interview 2, 2018".
    informant = Evidence.objects.filter(source__kind="interview", source__interview_number=2)
    assert informant.count() > 0 and {item.source.label for item in informant} == {"Informant 2, 2018"}
    hits = group(site_search(text), "codings").hits
    found = {item["source"].pk for hit in hits for item in hit.evidence}
    assert found == {informant[0].source_id}
    assert sum(len(hit.evidence) for hit in hits) == informant.count()


def test_an_interview_of_another_year_or_number_finds_nothing(study):
    assert group(site_search("Interview 2, 2017"), "codings").hits == []
    assert group(site_search("Interview 12"), "codings").hits == []


def test_a_source_labelled_as_an_interview_is_found_by_that_name_and_no_other():
    seventh = EvidenceFactory(source=SourceFactory(label="Interview 7, 2017"), text="The Partner Platform.")
    EvidenceFactory(source=SourceFactory(label="Interview 17, 2017"), text="Another.")
    EvidenceFactory(source=SourceFactory(label="Interview 70"), text="And another.")
    for text in ("interview 7", "Interview 7, 2017", "interview no. 7"):
        assert [hit.object for hit in group(site_search(text), "codings").hits] == [seventh.coding], text
    assert group(site_search("Interview 7, 2018"), "codings").hits == []


def test_c40_finds_the_network_by_its_common_name():
    c40 = NetworkFactory(name="C40 Cities Climate Leadership Group", slug="c40")
    NetworkFactory(name="Eurocities")

    results = site_search("C40")

    assert results.groups[0].kind == "networks"
    assert [hit.object for hit in results.groups[0].hits] == [c40]


def test_100rc_finds_the_network_even_without_its_acronym_stored():
    resilient = NetworkFactory(name="100 Resilient Cities", acronym="")

    assert group(site_search("100RC"), "networks").hits[0].object == resilient


def test_sub_networks_and_codes_are_found_by_name():
    forum = SubNetworkFactory(name="Environment Forum")
    CodeFactory(code="representation", name="Representation", definition="Lobbying for members.")

    results = site_search("environment")

    assert [hit.object for hit in group(results, "subnetworks").hits] == [forum]
    assert forum.network.get_absolute_url() + "#subnetwork-" in group(results, "subnetworks").hits[0].url
    assert group(site_search("representation"), "codes").hits[0].exact


def test_place_names_match_with_accents_folded():
    malmo = CityFactory(name="Malmö", country="SE")

    assert group(site_search("Malmo"), "places").hits[0].object == malmo
    assert group(site_search("malmö"), "places").hits[0].exact


@needs_postgresql
def test_a_misspelt_name_still_finds_on_postgresql(study):
    results = site_search("Copenhagn")

    assert group(results, "places").hits[0].object.name == "Copenhagen"
    codings = group(results, "codings").hits
    assert codings and codings[0].object.city.name == "Copenhagen"
    assert group(site_search("knowlege sharing"), "codes").hits[0].object.code == "knowledge"


def test_facets_count_every_kind_and_one_kind_can_be_shown_alone(client):
    network = NetworkFactory(name="Lobby Network")
    for _ in range(25):
        EvidenceFactory(text="We lobby the EU.", coding=CodingFactory(network=network))

    response = client.get(reverse("networks:search"), {"q": "lobby"})

    results = response.context["results"]
    assert [(g.kind, g.total, len(g.hits)) for g in results.groups if g.total] == [
        ("networks", 1, 1),
        ("codings", 25, 20),
    ]
    html = response.content.decode()
    assert "25 codings" in html and "0 places" in html and "first 20" in html
    assert 'href="/search/?q=lobby&amp;kind=codings">25 codings</a>' in html
    alone = client.get(reverse("networks:search"), {"q": "lobby", "kind": "codings"}).context["results"]
    assert [g.kind for g in alone.shown] == ["codings"] and len(alone.shown[0].hits) == 25


def test_the_page_marks_the_matched_words_and_the_exact_match(client):
    oslo = CityFactory(name="Oslo")
    EvidenceFactory(coding=CodingFactory(city=oslo), text="Oslo lobbies the EU alone.")

    html = client.get(reverse("networks:search"), {"q": "oslo"}).content.decode()

    assert '<a href="/cities/' in html and '<mark>Oslo</mark></a> <span class="tag">exact match</span>' in html
    assert "<mark>Oslo</mark> lobbies the EU alone." in html


def test_evidence_is_escaped_around_the_marks(client):
    EvidenceFactory(text='<script>alert("x")</script> lobbying <b>bold</b>', kind=Evidence.Kind.PARAPHRASE)

    html = client.get(reverse("networks:search"), {"q": "lobbying"}).content.decode()

    assert "<script>alert" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>lobbying</mark> &lt;b&gt;bold&lt;/b&gt;" in html


@pytest.fixture
def hidden():
    """A coding of 'Knowledge' whose evidence is public, paraphrase only and restricted."""
    code = CodeFactory(code="knowledge", name="Knowledge sharing", kind=Code.Kind.FUNCTION)
    coding = CodingFactory(code=code)
    EvidenceFactory(coding=coding, text="Public words about learning.", position=0)
    EvidenceFactory(
        coding=coding,
        text="Verbatim MAYORSECRET words.",
        public_paraphrase="The mayor's view, paraphrased.",
        visibility=Evidence.Visibility.PARAPHRASE_ONLY,
        position=1,
    )
    EvidenceFactory(coding=coding, text="Confidential TOPSECRET words.", visibility=Evidence.Visibility.RESTRICTED)
    return coding


def test_the_public_never_finds_or_sees_restricted_or_verbatim_text(client, hidden):
    assert group(site_search("TOPSECRET"), "codings").total == 0
    assert group(site_search("MAYORSECRET"), "codings").total == 0
    assert group(site_search("paraphrased"), "codings").total == 1
    # Found by its code, the coding shows every item, the hidden ones as the public may see them.
    html = client.get(reverse("networks:search"), {"q": "knowledge sharing"}).content.decode()
    assert "Public words about learning." in html and "The mayor&#x27;s view, paraphrased." in html
    assert "Restricted evidence: its text is not public." in html
    assert "SECRET" not in html


def test_an_editor_finds_and_sees_restricted_text_marked(client, hidden, editor):
    assert group(site_search("TOPSECRET", reader=editor), "codings").total == 1
    client.force_login(editor)

    html = client.get(reverse("networks:search"), {"q": "topsecret"}).content.decode()

    assert "Confidential <mark>TOPSECRET</mark> words." in html


def test_a_reader_without_the_permission_is_the_public(client, hidden):
    client.force_login(UserFactory())

    assert "SECRET" not in client.get(reverse("networks:search"), {"q": "secret"}).content.decode()


@pytest.mark.parametrize("n_codings", [2, 60])
def test_search_runs_the_same_queries_however_much_it_finds(client, django_assert_num_queries, n_codings):
    for number in range(n_codings):
        city = CityFactory(name=f"Lobbyton {number}")
        EvidenceFactory(text="About lobbying, again and again.", coding=CodingFactory(city=city))
        SubNetworkFactory(name=f"Lobby forum {number}")
    # places, networks, sub-networks and codes (each its rows and count together), codings
    # (likewise), their evidence; then for "Cite this view": the newest release and the study's
    # citation. On PostgreSQL also the sources whose label holds a word (search._stored_candidates).
    with django_assert_num_queries(9 if connection.vendor == "postgresql" else 8):
        response = client.get(reverse("networks:search"), {"q": "lobby"})
    assert len(group(response.context["results"], "codings").hits) == min(n_codings, 20)
    assert group(response.context["results"], "places").total == n_codings
