"""Many networks at once in a real browser, at a phone's and a desktop's width: the overlap
page (its matrix, or the largest pairs as bars on a phone, each leading to the shared members)
and a city's networks with the places most like it."""

from tests.browser.test_pages import cell_position

WIDTHS = (1280, 360)


def readable(visit) -> None:
    measured = visit.clipping()
    assert measured == {"overflow": False, "clipped": [], "broken": [], "uncued": [], "cut": []}


def test_overlap_leads_from_a_cell_or_a_bar_to_the_members_two_networks_share(visit):
    page = visit.page
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/networks/overlap/?region=EU")
        assert page.locator("#chart-overlap .main-svg").count() > 0
        visit.screenshot("overlap")
        readable(visit)
        if width == 1280:
            page.locator("#chart-overlap").scroll_into_view_if_needed()
            page.mouse.click(*cell_position(page, "chart-overlap", "Eurocities", "100RC"))
        else:
            bar = page.locator("#chart-overlap .bars .point path").first
            bar.scroll_into_view_if_needed()
            bar.click(force=True)
        page.wait_for_url("**/networks/overlap/?region=EU&a=*#members")
        heading = page.locator("#members").inner_text()
        assert "Members of both" in heading and "Eurocities" in heading and "100 Resilient Cities" in heading
        assert page.locator(".members-list li").count() > 0
        readable(visit)
    assert visit.errors == []
    assert visit.outside_requests() == []


def test_city_page_lists_all_its_networks_and_the_places_most_like_it(visit):
    page = visit.page
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/cities/oslo/")
        section = page.locator("section[aria-labelledby='all-networks']")
        assert "Eurocities" in section.locator("table").inner_text()
        assert section.locator(".places-like li").count() == 10
        section.scroll_into_view_if_needed()
        visit.screenshot("city-oslo-networks")
        readable(visit)
    assert visit.errors == []
    assert visit.outside_requests() == []
