"""A network page leaves its two heaviest parts to pages of their own (issue 15): the evidence
behind its offer-and-use chart, fetched once when a bar or a number is first clicked, and the
member map's places, fetched as the page loads. Without scripts the links lead to the evidence
page, and the page still says where the members are."""

from playwright.sync_api import expect

from networks.models import Membership


def fetched(visit, part: str) -> int:
    return len([url for url in visit.requests if part in url])


def test_the_offer_tables_numbers_fetch_the_evidence_page_once(visit):
    page = visit.page
    panel = page.locator("#evidence-panel")
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        visit.open("/networks/100rc/")
        assert page.locator("article.evidence-cell").count() == 0
        before = fetched(visit, "/offer-evidence/")
        links = page.locator("table.offers a[data-evidence]")
        first, second = links.nth(0), links.nth(1)
        anchor, href = first.get_attribute("data-evidence"), first.get_attribute("href")
        assert href == f"/networks/100rc/offer-evidence/#{anchor}"
        first.click()
        expect(panel.locator(".evidence-cell.in-panel")).to_have_count(1)
        assert page.url.endswith(f"/networks/100rc/#{anchor}")
        heading = panel.locator(".evidence-cell.in-panel h3").inner_text()
        # Another number is shown from what was fetched: no second request.
        other = second.get_attribute("data-evidence")
        second.click()
        page.wait_for_url(f"**#{other}")
        expect(panel.locator(".evidence-cell.in-panel h3")).not_to_have_text(heading)
        assert fetched(visit, "/offer-evidence/") == before + 1
    assert visit.errors == [] and visit.outside_requests() == []


def test_without_scripts_a_number_leads_to_its_evidence_on_the_evidence_page(visit):
    page = visit.page
    visit.open("/networks/100rc/")
    link = page.locator("table.offers a[data-evidence]").first
    anchor = link.get_attribute("data-evidence")
    page.goto(visit.base_url + link.get_attribute("href"))
    cell = page.locator(f"[id='{anchor}']")
    expect(cell).to_be_visible()
    assert page.locator("nav.breadcrumbs").get_by_text("100 Resilient Cities").count() == 1
    assert visit.errors == []


def test_the_member_map_is_drawn_from_its_own_address_at_both_widths(visit):
    page = visit.page
    placed = (
        Membership.objects.filter(network__slug="eurocities", took_effect=True, city__latitude__isnull=False)
        .values("city")
        .distinct()
        .count()
    )
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        before = fetched(visit, "/members-map.json")
        visit.open("/networks/eurocities/")
        chart = page.locator("#chart-members-map")
        assert chart.evaluate("div => div.dataset.narrowDrawn") == ("1" if width == 360 else "0")
        assert sum(chart.evaluate("div => div.data.map(trace => trace.lat.length)")) == placed > 100
        assert fetched(visit, "/members-map.json") == before + 1
    assert visit.errors == [] and visit.outside_requests() == []
