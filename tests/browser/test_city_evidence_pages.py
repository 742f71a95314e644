"""A well-coded place's evidence beyond the first networks lives on pages of its own (one per
network); in a real browser the portfolio's cells still open it in the panel beside the chart,
fetched once, and a permalink to such a cell opens it too. The places most like a city, counted
over the whole register, are a page of their own that the city page fetches once shown."""

from playwright.sync_api import expect


def test_portfolio_cells_fetch_evidence_kept_on_its_network_page(visit, monkeypatch):
    # As for the best-coded place of the field: no network's evidence on the city page itself.
    monkeypatch.setattr("cities.views.EVIDENCE_CODINGS_SHOWN", 0)
    page = visit.page
    panel = page.locator("#evidence-panel")
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/cities/copenhagen/")
        assert page.locator("#evidence .evidence-cell").count() == 0
        link = page.locator("table.matrix a[data-evidence]").first
        anchor, href = link.get_attribute("data-evidence"), link.get_attribute("href")
        assert href.startswith("/cities/copenhagen/evidence/") and href.endswith("#" + anchor)
        fetched = len([url for url in visit.requests if "/evidence/" in url])
        link.click()
        expect(panel.locator(".evidence-cell.in-panel")).to_have_count(1)
        assert "Copenhagen" in panel.locator("h3").inner_text()
        assert panel.locator("ul.evidence li").count() >= 1
        # The reader stays on the city page, the cell's permalink in the address bar.
        assert page.url.endswith("/cities/copenhagen/#" + anchor)
        assert len([url for url in visit.requests if "/evidence/" in url]) == fetched + 1
        # Another cell of the same network is shown from what was fetched: no second request.
        same_network = page.locator(f"table.matrix a[href^='{href.split('#')[0]}#']")
        assert same_network.count() > 1  # Copenhagen's codes in Eurocities
        second = same_network.nth(1).get_attribute("data-evidence")
        same_network.nth(1).click()
        page.wait_for_url(f"**#{second}")
        expect(panel.locator(".evidence-cell.in-panel")).to_have_count(1)
        assert len([url for url in visit.requests if "/evidence/" in url]) == fetched + 1
        # The permalink opens the same evidence on a fresh load.
        page.reload()
        visit.wait_for_charts()
        expect(panel.locator(".evidence-cell.in-panel")).to_have_count(1)
        assert "Copenhagen" in panel.locator("h3").inner_text()
    assert visit.errors == [] and visit.outside_requests() == []


def test_without_scripts_a_cell_leads_to_its_network_evidence_page(visit, monkeypatch):
    monkeypatch.setattr("cities.views.EVIDENCE_CODINGS_SHOWN", 0)
    page = visit.page
    visit.open("/cities/copenhagen/")
    link = page.locator("table.matrix a[data-evidence]").first
    anchor = link.get_attribute("data-evidence")
    page.goto(visit.base_url + link.get_attribute("href"))
    cell = page.locator(f"[id='{anchor}']")
    expect(cell).to_be_visible()
    assert cell.locator("ul.evidence li").count() >= 1
    assert page.locator("nav.breadcrumbs").get_by_text("Copenhagen").count() == 1


def test_the_places_most_like_a_city_arrive_after_the_page(visit):
    page = visit.page
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/cities/copenhagen/")
        slot = page.locator("[data-include]")
        expect(slot.locator("#places-like-list ol.places-like li").first).to_be_visible()
        # Copenhagen's Eurocities peers share the network it is in.
        assert "shares 1 network" in slot.inner_text() or "shares 2 networks" in slot.inner_text()
        assert visit.clipping() == {"overflow": False, "clipped": [], "broken": [], "uncued": [], "cut": []}
    assert visit.errors == [] and visit.outside_requests() == []
