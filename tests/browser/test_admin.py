"""The admin as an editor meets it in a browser, with the study and member lists loaded."""

import pytest

from networks.models import Network


@pytest.fixture
def editor(visit, admin_user):
    page = visit.open("/admin/login/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return visit


def test_admin_pages_fit_the_screen_and_show_what_an_editor_needs(editor):
    page = editor.page
    eurocities = Network.objects.get(slug="eurocities")
    responses = []
    page.on("response", lambda response: responses.append((response.status, response.url)))
    editor.open(f"/admin/networks/network/{eurocities.pk}/change/")
    width, height = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    # Its 226 spells are one link away, not all inline: no page 25,000 px tall or 1,800 px wide.
    assert width <= 1280 and height < 8000
    page.get_by_role("link", name="All membership spells of Eurocities").click()
    page.wait_for_url(f"**/admin/networks/membership/?network__id__exact={eurocities.pk}")
    assert "226 memberships" in page.locator("#changelist-form .paginator").inner_text()
    # Every column of the coding list is in view, none behind an unseen scroll.
    editor.open("/admin/networks/coding/")
    results = page.locator("#changelist-form .results")
    assert results.evaluate("box => box.scrollWidth <= box.clientWidth + 1")
    assert page.locator("#result_list thead th").count() >= 8
    editor.open("/admin/cities/city/?q=Oslo")
    page.get_by_role("link", name="Oslo", exact=True).first.click()
    page.wait_for_load_state("networkidle")
    geonames = page.locator("#id_geonames_id")
    assert geonames.input_value() == "3143244"
    assert geonames.evaluate("input => input.scrollWidth <= input.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # Kind and visibility each say what they are about.
    editor.open("/admin/networks/evidence/")
    page.locator("#result_list tbody a").first.click()
    page.wait_for_load_state("networkidle")
    assert "whatever its kind" in page.locator(".field-visibility").first.inner_text()
    editor.screenshot("admin-evidence")
    assert [url for status, url in responses if status >= 400] == []
    assert editor.errors == []
