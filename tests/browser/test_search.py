"""Issue 16's search in a real browser: typed into the header's box on any page, at 1280 and
360 px, it leads to the results with the matched words marked, exact name matches first."""


def test_searching_from_the_header_shows_the_exact_match_first_and_marks_the_words(visit):
    page = visit.page
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/networks/")
        box = page.get_by_label("Search Citynet")
        box.fill("knowledge sharing")
        box.press("Enter")
        page.wait_for_url("**/search/?q=knowledge+sharing")
        groups = page.locator("section.found-group h2")
        assert groups.nth(0).inner_text().startswith("Codes")
        assert groups.nth(1).inner_text().startswith("Codings")
        code = page.locator("section.found-group").nth(0).locator("li.exact a").first
        assert code.locator("mark").all_inner_texts() == ["Knowledge", "sharing"]
        assert code.is_visible()
        codings = page.locator("article.found-coding.exact")
        assert codings.count() == 6
        assert codings.locator("mark.found-code").count() == 6
        marked = page.locator("article.found-coding .evidence mark").first
        marked.scroll_into_view_if_needed()
        assert marked.is_visible() and marked.inner_text().lower() in ("knowledge", "sharing")
        measured = visit.clipping()
        assert (measured["overflow"], measured["clipped"], measured["broken"]) == (False, [], [])
        visit.screenshot("search-knowledge-sharing")

        box = page.get_by_label("Search Citynet")
        box.fill("Oslo")
        box.press("Enter")
        page.wait_for_url("**/search/?q=Oslo")
        first = page.locator("section.found-group").first
        assert first.locator("h2").inner_text().startswith("Places")
        assert first.locator("li").first.locator("a").inner_text() == "Oslo"
        assert first.locator("li").first.locator("mark").inner_text() == "Oslo"
        assert page.locator("article.found-coding").first.locator("h3 a").first.inner_text() == "Oslo"
        visit.screenshot("search-oslo")
    assert visit.errors == [] and visit.outside_requests() == []
