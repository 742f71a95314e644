"""Issue 16 in a real browser: nothing clipped, every chart's marks reaching their evidence,
sources and codes explained where they are shown."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS


def bar_position(page, chart_id: str, trace_name: str, label: str) -> tuple[float, float]:
    """Where on screen the middle of the horizontal bar of that trace and axis label is drawn."""
    return page.evaluate(
        """([id, name, label]) => {
            const chart = document.getElementById(id), layout = chart._fullLayout;
            const index = chart.data.findIndex(trace => trace.name.startsWith(name));
            const bars = chart.querySelectorAll(".trace.bars")[index].querySelectorAll(".point path");
            const row = chart.data[index].y.indexOf(label);
            const box = bars[row].getBoundingClientRect();
            return [box.left + box.width / 2, box.top + box.height / 2];
        }""",
        [chart_id, trace_name, label],
    )


def test_network_codings_and_members_read_whole_at_both_widths(visit):
    page = visit.page
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/networks/100rc/")
        page.locator("#codings > summary").click()
        tables = page.locator("#codings table.codings")
        own, members = tables.nth(0).bounding_box(), tables.nth(1).bounding_box()
        # One above the other, each as wide as the page allows: no evidence column off the edge.
        assert members["y"] >= own["y"] + own["height"]
        assert members["x"] + members["width"] <= width
        evidence = page.locator("#codings table.codings td.evidence-col").first.bounding_box()
        assert evidence["width"] >= min(250, width - 40)
        # The member list is the page's own length, not a box of two rows to scroll inside.
        scroll_box = page.locator("#members ~ .table-scroll, section[aria-labelledby=members] .table-scroll").first
        assert scroll_box.evaluate("box => box.scrollHeight <= box.clientHeight + 1")
        visit.screenshot("network-100rc-codings")
    page.set_viewport_size({"width": 360, "height": 900})
    visit.open("/compare/?network=eurocities&city=oslo&city=copenhagen")
    cue = page.locator("table.matrix").locator("xpath=ancestor::div[contains(@class,'table-scroll')][1]")
    assert "is-scrollable" in cue.get_attribute("class")
    assert page.get_by_text("scroll the table sideways for all 8 columns").first.is_visible()
    assert visit.errors == []


def test_clicking_an_offer_bar_shows_the_codings_behind_it_and_who_is_counted(visit):
    page = visit.page
    panel = page.locator("#evidence-panel")
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/networks/100rc/")
        figure = page.evaluate("document.getElementById('chart-offers').data.map(t => [t.name, t.x, t.text])")
        informants = next(trace for trace in figure if trace[0].startswith("Members' informants"))
        researchers = next(trace for trace in figure if trace[0].startswith("Researchers' analysis"))
        assert "mean over 2 (Chennai, Vejle)" in informants[0]
        assert "Porto Alegre" in researchers[0]
        # Goal and policy formulation: no informant names it, the researchers rate it 2; never "0.00".
        assert informants[2][1] == "not named" and researchers[1][1] == 2
        page.locator("#chart-offers").scroll_into_view_if_needed()
        page.mouse.click(*bar_position(page, "chart-offers", "Researchers' analysis", "Policy"))
        panel.get_by_text("Porto Alegre").first.wait_for()
        assert "Resilience strategy first" in panel.inner_text()
        assert page.url.endswith("#offer-policy-researchers")
        visit.screenshot("network-100rc-offers")
        page.reload()
        visit.wait_for_charts()
        assert "Porto Alegre" in panel.inner_text()
    assert visit.errors == [] and visit.outside_requests() == []


def test_engagement_points_stand_alone_and_reach_their_source(visit):
    page = visit.page
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/cities/copenhagen/")
        chart = page.locator("#chart-engagement")
        assert chart.evaluate("div => div.data.every(trace => trace.mode === 'markers')")
        assert "nothing is reported between" in chart.inner_text()
        chart.scroll_into_view_if_needed()
        x, y = page.evaluate(
            """() => {
                const chart = document.getElementById("chart-engagement"), layout = chart._fullLayout;
                const trace = chart.data[0], box = chart.querySelector(".nsewdrag").getBoundingClientRect();
                const x = layout.xaxis.l2p(layout.xaxis.d2l(trace.x[0])), y = layout.yaxis.l2p(trace.y[0]);
                return [box.left + x, box.top + y];
            }"""
        )
        page.mouse.click(x, y)
        expect(page).to_have_url(re.compile("#engagement-"))  # not wait_for_function: see conftest
        assert page.locator("tr:target").is_visible()
        visit.screenshot("city-copenhagen-engagement")
    assert visit.errors == []


def test_the_map_zooms_and_pans_and_is_no_strip_on_a_phone(visit):
    page = visit.page
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/map/")
        zoom_in = page.locator("#chart-map .modebar-btn[data-attr='zoom'][data-val='in']")
        assert zoom_in.is_visible()
        before = page.evaluate("document.getElementById('chart-map')._fullLayout.geo.projection.scale")
        zoom_in.click()
        after = page.evaluate("document.getElementById('chart-map')._fullLayout.geo.projection.scale")
        assert after > before
        land = page.locator("#chart-map .geo .bg rect, #chart-map .geo .layer.land").first.bounding_box()
        assert land["height"] >= 0.8 * min(land["width"], 300), "the map is a thin strip"
        unplaced = page.locator(".notice").filter(has_text="Not on the map")
        assert "(NL)" in unplaced.inner_text() or "(TR)" in unplaced.inner_text()
        visit.screenshot("map-zoom")
    assert visit.errors == [] and visit.outside_requests() == []


def test_every_evidence_item_names_its_source_alike_and_unfolds_to_the_original(visit):
    page = visit.page
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/cities/oslo/")
        cell = page.locator("#evidence-oslo--eurocities--representation")
        summary = cell.locator("details.evidence-source > summary").first
        assert summary.inner_text().startswith("Interview 2, 2018, p. 67")
        assert "Informant 2" not in page.locator("#evidence").inner_text()
        summary.click()
        original = cell.locator("p.original[lang=da]").first
        assert original.is_visible() and "Eurocities" in original.inner_text()
        box = cell.locator("p.full-citation").first.bounding_box()
        assert box["x"] + box["width"] <= width and "Cited as: Informant 2" in cell.inner_text()
        visit.screenshot("city-oslo-evidence-unfolded")
    assert visit.errors == []


def test_the_eurocities_page_says_which_unit_takes_part_where_with_its_source(visit):
    page = visit.page
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/networks/eurocities/")
        whole = page.locator("#subnetwork-none")
        text = whole.inner_text()
        assert "Oslo: administrative staff" in text and "Interview 2, 2018, p. 67" in text
        assert "Copenhagen: politicians" in text and "Grønnestad & Nielsen 2018, p. 68" in text
        assert page.locator("#subnetwork-environment").get_by_text("none recorded").is_visible()
        found = visit.clipping()
        assert not found["overflow"] and not found["clipped"] and not found["broken"], found
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        whole.screenshot(path=str(SCREENSHOTS / f"eurocities-participants-{width}.png"))
    assert visit.errors == []


def test_comparison_columns_explain_their_codes_and_the_functions_logics_line(visit):
    page = visit.page
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/compare/?network=eurocities&city=oslo&city=copenhagen")
        header = page.locator("table.matrix thead a.code", has_text="Goal and policy formulation")
        assert "common standards" in header.get_attribute("title")
        assert header.get_attribute("href").endswith("/#code-policy")
        groups = page.locator("table.matrix tr.code-groups th")
        assert groups.all_inner_texts() == ["Network functions", "Logics of participation"]
        notes = page.evaluate("document.getElementById('chart-matrix')._fullLayout.annotations.map(a => a.name)")
        assert "functions-and-logics" in notes
        legend = page.locator(".codebook-legend").first
        legend.locator("summary").click()
        assert "The network represents its members" in legend.inner_text()
        contrasts = page.locator("section.contrasts").inner_text()
        assert "Representation" in contrasts
        legend.locator("a[href$='#codebook']").click()
        page.wait_for_url("**/#codebook")
        assert page.locator("#codebook").is_visible()
    assert visit.errors == []
