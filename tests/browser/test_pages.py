"""What a reader sees in a real browser, with the study and member lists loaded."""

import json

PAGES = {
    "home": "/",
    "city-oslo": "/cities/oslo/",
    "city-copenhagen": "/cities/copenhagen/",
    "network-100rc": "/networks/100rc/",
    "network-eurocities": "/networks/eurocities/",
    "compare-eurocities": "/compare/?network=eurocities&city=oslo&city=copenhagen",
    "compare-cities": "/compare/cities/?a=oslo&b=copenhagen",
    "logics": "/logics/",
    "graph": "/graph/?q=london",
    "map": "/map/",
    "search": "/search/?q=lobby",
    "quotes-eurocities": "/quotes/?network=eurocities",
    "agreement": "/agreement/?network=eurocities",
    "releases": "/releases/",
    "cities": "/cities/",
    "networks": "/networks/",
}


def cell_position(page, chart_id: str, row_label: str, column_label: str) -> tuple[float, float]:
    """Where on screen the heatmap cell of that row and column is drawn (either orientation)."""
    return page.evaluate(
        """([id, row, column]) => {
            const chart = document.getElementById(id), layout = chart._fullLayout;
            const xs = layout.xaxis.ticktext, ys = layout.yaxis.ticktext;
            let x = xs.findIndex(t => t.includes(column)), y = ys.findIndex(t => t.includes(row));
            if (x < 0) { x = xs.findIndex(t => t.includes(row)); y = ys.findIndex(t => t.includes(column)); }
            const box = chart.querySelector(".nsewdrag").getBoundingClientRect();
            return [box.left + layout.xaxis.l2p(x), box.top + layout.yaxis.l2p(y)];
        }""",
        [chart_id, row_label, column_label],
    )


def test_home_leads_to_a_city_and_on_to_its_comparison(visit):
    page = visit.open("/")
    page.get_by_label("Search cities, networks and evidence").fill("Oslo")
    page.get_by_label("Search cities, networks and evidence").press("Enter")
    page.wait_for_url("**/search/?q=Oslo")
    page.get_by_role("link", name="Oslo", exact=True).first.click()
    visit.wait_for_charts()
    assert page.title() == "Oslo · Citynet"
    assert page.locator("#chart-portfolio .main-svg").count() > 0
    assert page.locator("#chart-engagement .main-svg").count() > 0
    page.get_by_role("link", name="Compare Oslo across its networks").click()
    visit.wait_for_charts()
    page.get_by_label("Network", exact=True).select_option("eurocities")
    page.get_by_label("Copenhagen").check()
    page.get_by_label("Oslo").check()
    page.get_by_role("button", name="Show").click()
    visit.wait_for_charts()
    assert page.url == f"{visit.base_url}/compare/?network=eurocities&city=copenhagen&city=oslo"
    assert page.locator("#chart-matrix .main-svg").count() > 0
    assert page.locator("#chart-matrix .hm").count() == 1
    assert visit.errors == []


def test_clicking_a_heatmap_cell_shows_its_quotes_and_the_link_keeps_them(visit):
    page = visit.page
    panel = page.locator("#evidence-panel")
    # On a phone the heatmap turns a quarter (codes down the side); the click works either way.
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        visit.open(PAGES["compare-eurocities"])
        page.locator("#chart-matrix").scroll_into_view_if_needed()
        page.mouse.click(*cell_position(page, "chart-matrix", "Oslo", "Representation"))
        panel.get_by_text("Uses Eurocities as a channel to lobby the EU").wait_for()
        assert "Interview 2, 2018, p. 67" in panel.inner_text()
        assert page.url.endswith("#evidence-oslo--eurocities--representation")
        visit.screenshot("compare-eurocities-evidence")
        page.reload()
        visit.wait_for_charts()
        assert "Uses Eurocities as a channel to lobby the EU" in panel.inner_text()
    assert visit.errors == []


def test_a_phone_draws_the_city_portfolio_turned_from_the_one_copy_of_its_cells(visit):
    # The page carries the heatmap's cells once; on a phone the script turns them a quarter.
    page = visit.page
    page.set_viewport_size({"width": 360, "height": 900})
    visit.open("/cities/oslo/")
    wide = json.loads(page.locator("#chart-portfolio-data").text_content())["data"][0]
    narrow = json.loads(page.locator("#chart-portfolio-narrow").text_content())
    assert narrow["transpose"] and "data" not in narrow
    chart = page.locator("#chart-portfolio")
    assert chart.evaluate("div => div.dataset.narrowDrawn") == "1"
    drawn = chart.evaluate("div => div.data[0]")
    for key in ("z", "hovertext", "customdata"):
        assert drawn[key] == [list(column) for column in zip(*wide[key], strict=True)], key
    ticks = chart.evaluate("div => [div._fullLayout.xaxis.ticktext, div._fullLayout.yaxis.ticktext]")
    assert "Eurocities" in ticks[0] and any("Representation" in tick for tick in ticks[1])
    # The cell of Oslo's representation in Eurocities still opens its evidence.
    chart.scroll_into_view_if_needed()
    page.mouse.click(*cell_position(page, "chart-portfolio", "Eurocities", "Representation"))
    page.locator("#evidence-panel").get_by_text("Uses Eurocities as a channel to lobby the EU").wait_for()
    assert visit.errors == [] and visit.outside_requests() == []


def test_the_map_draws_its_markers_from_our_own_files(visit):
    page = visit.open(PAGES["map"])
    assert page.locator("#chart-map .scattergeo path.point").count() > 300
    assert page.locator("#chart-map .layer.land path").count() == 1
    assert f"{visit.base_url}/static/topojson/world_110m.json" in visit.requests
    assert visit.outside_requests() == [] and visit.errors == []


def test_hovering_a_place_in_the_graph_highlights_its_networks(visit):
    page = visit.open("/graph/")
    x, y = page.evaluate(
        """() => {
            const chart = document.getElementById("chart-graph"), layout = chart._fullLayout;
            const nodes = chart.data.find(trace => trace.name === "nodes");
            const i = nodes.hovertext.findIndex(text => text.startsWith("<b>London</b>"));
            const box = chart.querySelector(".nsewdrag").getBoundingClientRect();
            return [box.left + layout.xaxis.l2p(nodes.x[i]), box.top + layout.yaxis.l2p(nodes.y[i])];
        }"""
    )
    page.mouse.move(x, y)
    # Polled from here: wait_for_function's retries compile a string, which the site's CSP refuses.
    for _ in range(100):
        if page.evaluate(
            "document.getElementById('chart-graph').data.find(trace => trace.name === 'highlight').x.length > 0"
        ):
            break
        page.wait_for_timeout(50)
    else:
        raise AssertionError("hovering a place highlighted none of its networks")
    bright = page.evaluate(
        "document.getElementById('chart-graph').data.find(t => t.name === 'nodes').marker.opacity"
        ".filter(o => o === 1).length"
    )
    assert bright == 3  # London and its two networks
    assert visit.errors == []


def test_every_page_draws_its_charts_stays_on_this_site_and_fits_the_screen(visit):
    page = visit.page
    for width in (1280, 768, 360):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in PAGES.items():
            visit.open(path)
            charts = page.locator(".chart-plot").count()
            assert page.locator(".chart-plot .main-svg").count() >= charts, name
            assert page.locator("h1").count() == 1 and page.title().endswith("· Citynet")
            if width != 768:
                visit.screenshot(name)
            # Nothing clipped, no word broken mid-word, no sideways scroll without a cue, no
            # citation box cut short (every <details> opened).
            hidden = visit.clipping()
            assert not hidden["overflow"], f"{name} overflows {width} px"
            assert {key: found for key, found in hidden.items() if found} == {}, f"{name} at {width} px"
    assert visit.outside_requests() == []
    assert visit.errors == []


def test_the_quote_table_is_one_card_per_quote_on_a_tablet(visit):
    # Seven columns do not fit 768 px: each quote reads whole, without a sideways scroll.
    page = visit.page
    page.set_viewport_size({"width": 768, "height": 900})
    visit.open(PAGES["quotes-eurocities"])
    table = page.locator("table.quote-table")
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth + 1")
    assert page.locator("table.quote-table tbody tr").first.evaluate("row => getComputedStyle(row).display") == "block"
    assert visit.errors == []
