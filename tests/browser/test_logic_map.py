"""Issue 16 in a real browser: each mark of the logic map (the two logics of participation)
reaches its evidence in one click, as the heatmap cells do, at a desktop's and a phone's width;
and the phone's member map drawn from the page's one copy of the places (issue 15)."""

import json
import re

from playwright.sync_api import expect


def point_position(page, chart_id: str, city: str) -> tuple[float, float]:
    """Where on screen the logic map draws the point labelled with that city's name."""
    return page.evaluate(
        """([id, city]) => {
            const chart = document.getElementById(id), layout = chart._fullLayout;
            const trace = chart.data.find(trace => trace.text.includes(city));
            const index = trace.text.indexOf(city);
            const box = chart.querySelector(".nsewdrag").getBoundingClientRect();
            return [box.left + layout.xaxis.l2p(trace.x[index]), box.top + layout.yaxis.l2p(trace.y[index])];
        }""",
        [chart_id, city],
    )


def test_clicking_a_point_of_the_logic_map_shows_the_evidence_behind_its_weights(visit):
    page = visit.page
    panel = page.locator("#evidence-panel")
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/logics/?network=eurocities")
        expect(panel).not_to_contain_text("prestigious club with London")
        page.locator("#chart-logics").scroll_into_view_if_needed()
        page.mouse.click(*point_position(page, "chart-logics", "Oslo"))
        # One click: the quotes behind Oslo's logics in Eurocities, and the address now names
        # them (not wait_for_function: see conftest).
        expect(panel).to_contain_text("prestigious club with London")
        expect(panel.get_by_role("link", name="All of Oslo's evidence in the comparison")).to_be_visible()
        # The panel names the point and its weights for a screen reader, as the point's row does.
        strategic, legitimacy = (
            cell.split()[0] for cell in page.locator("#logics-oslo--eurocities td.num").all_inner_texts()[:2]
        )
        expect(panel.locator("article")).to_have_attribute(
            "aria-label", f"Oslo · Eurocities: strategic weight {strategic}, legitimacy weight {legitimacy}"
        )
        expect(page).to_have_url(re.compile("#evidence-logics-oslo--eurocities$"))
        # The chart outlines the point whose evidence the panel shows.
        outlined = page.evaluate(
            """() => document.getElementById("chart-logics").data.flatMap(trace =>
                 trace.text.filter((name, i) => (trace.marker.line.width || [])[i] === 3))"""
        )
        assert outlined == ["Oslo"]
        visit.screenshot("logics-eurocities-evidence")
        # The address is a permalink: opened again, it shows the same evidence.
        page.reload()
        visit.wait_for_charts()
        expect(panel).to_contain_text("prestigious club with London")
    assert visit.errors == [] and visit.outside_requests() == []


def test_a_phone_draws_the_member_map_from_the_one_copy_of_the_places_the_page_carries(visit):
    # Issue 15: the network page carries its members once; the phone's map is a layout alone.
    page = visit.page
    page.set_viewport_size({"width": 360, "height": 900})
    visit.open("/networks/eurocities/")
    wide = json.loads(page.locator("#chart-members-map-data").text_content())
    narrow = json.loads(page.locator("#chart-members-map-narrow").text_content())
    assert "data" not in narrow and narrow["layout"]["height"] != wide["layout"]["height"]
    chart = page.locator("#chart-members-map")
    assert chart.evaluate("div => div.dataset.narrowDrawn") == "1"
    drawn = chart.evaluate("div => div.data.map(trace => trace.lat.length)")
    assert drawn == [len(trace["lat"]) for trace in wide["data"]] and sum(drawn) > 100
    assert visit.errors == [] and visit.outside_requests() == []
