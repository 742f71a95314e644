"""How the search reads a query and marks what it found: pure functions, no database."""

from networks.search import highlight
from networks.search import parse
from networks.search import stem


def test_a_common_wording_names_its_code():
    assert parse("lobbying").codes == {"representation": "lobbying"}
    assert parse("Advocacy").codes == {"representation": "advocacy"}
    assert parse("peer learning").codes == {"knowledge": "peer learning"}
    assert parse("capacity building").codes == {"capacity": "capacity building"}
    assert parse("city branding").codes == {"promotion": "city branding"}
    assert parse("legitimacy").codes == {"appropriateness": "legitimacy"}


def test_a_wording_counts_only_as_whole_words():
    assert parse("lobbyists").codes == {}
    assert parse("the norms of cities").codes == {"appropriateness": "norms"}


def test_common_network_names_lead_to_the_stored_names():
    assert parse("C40").networks == {"c40": "C40"}
    assert parse("100RC").networks == {"100rc": "100 Resilient Cities"}


def test_stop_words_are_not_required_unless_they_are_all_there_is():
    assert parse("exchange of experience").terms == ("exchange", "experience")
    assert parse("A").terms == ("a",)
    assert parse("Interview 7").terms == ("interview", "7")


def test_a_stem_is_never_longer_than_the_word():
    assert stem("lobbying") == "lobby"
    assert stem("Sharing") == "shar"
    assert stem("Oslo") == "oslo"
    assert stem("uses") == "uses"


def test_highlight_marks_every_word_starting_with_a_term():
    marked = highlight("Lobbying the EU; Oslo lobbyists alone.", ["lobby"])

    assert marked == "<mark>Lobbying</mark> the EU; Oslo <mark>lobbyists</mark> alone."


def test_highlight_folds_accents_both_ways():
    assert highlight("København and Malmö", ["kobenhavn", "malmo"]) == "<mark>København</mark> and <mark>Malmö</mark>"
    assert highlight("Sao Paulo", ["são"]) == "<mark>Sao</mark> Paulo"


def test_highlight_escapes_the_text_around_and_inside_the_marks():
    marked = highlight('<script>alert("lobby")</script> & lobbying', ["lobby", "script"])

    assert "<script>" not in marked
    assert marked == (
        "&lt;<mark>script</mark>&gt;alert(&quot;<mark>lobby</mark>&quot;)&lt;/<mark>script</mark>&gt; &amp; "
        "<mark>lobbying</mark>"
    )


def test_highlight_without_a_match_is_the_escaped_text():
    assert highlight("a < b", ["zzz"]) == "a &lt; b"
    assert highlight("", ["a"]) == ""
