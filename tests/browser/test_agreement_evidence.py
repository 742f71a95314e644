"""The agreement page in a real browser, at a desktop's and a phone's width: where two coders
differ, each side's evidence names its source as everywhere else and unfolds, on a click, to the
original text and the full citation, with nothing cut off."""

from networks.models import Coding
from tests.factories import CoderFactory
from tests.factories import CodingFactory

WIDTHS = (1280, 360)


def test_each_evidence_item_where_coders_differ_unfolds_to_its_original_and_full_citation(visit):
    # The study has one coder; a second rates Oslo's knowledge sharing in Eurocities lower.
    seed = Coding.objects.select_related("city", "network", "code").get(
        city__slug="oslo", network__slug="eurocities", code__code="knowledge"
    )
    CodingFactory(
        city=seed.city,
        network=seed.network,
        code=seed.code,
        perspective=seed.perspective,
        salience=1,
        coder=CoderFactory(name="Second coder"),
    )
    evidence = seed.evidence.select_related("source").get()
    page = visit.page
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/agreement/?network=eurocities")
        unit = page.locator("article.disagreement").filter(has_text="Oslo").filter(has_text="Knowledge sharing")
        item = unit.locator(".side").filter(has_text=seed.coder.name).locator("ul.evidence > li").first
        fold = item.locator("details.evidence-source")
        summary = fold.locator("summary")
        assert summary.inner_text().startswith("Interview 2, 2018")
        assert "Informant" not in summary.inner_text()
        original = fold.locator("p.original")
        assert not original.is_visible()
        summary.scroll_into_view_if_needed()
        summary.click()
        assert original.is_visible() and original.get_attribute("lang") == "da"
        assert original.inner_text().strip('“”"') == evidence.original_text
        citation = fold.locator("p.full-citation")
        assert evidence.source.citation in citation.inner_text()
        assert "Cited as: Informant 2, 2018" in citation.inner_text()
        for box in (original.bounding_box(), citation.bounding_box()):
            assert box["x"] >= 0 and box["x"] + box["width"] <= width
        visit.screenshot("agreement-evidence")
        measured = visit.clipping()
        assert measured == {"overflow": False, "clipped": [], "broken": [], "uncued": [], "cut": []}
    assert visit.errors == []
    assert visit.outside_requests() == []
