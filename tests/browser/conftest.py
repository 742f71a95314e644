"""Browser tests: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against
`live_server`, with the study and the real member lists loaded into the test database."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import expect

CHROMIUM = Path("/usr/bin/chromium")
# Playwright cannot download its own browser here; these are the arguments Debian's Chromium needs
# to run headless as root without reaching for the network on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium); CI installs it")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True, scope="session")
def _static_files_without_collectstatic():
    # The live server builds its middleware once, when it starts (before any per-test settings
    # apply), so WhiteNoise must not look for the collectstatic folder then; the same settings as
    # tests/conftest.py gives each test.
    with override_settings(
        WHITENOISE_AUTOREFRESH=True,
        WHITENOISE_USE_FINDERS=True,
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        yield


@pytest.fixture(autouse=True, scope="module")
def _orm_beside_playwright():
    # Playwright's sync API keeps an event loop running in the test's thread, so Django would
    # refuse the test's own (synchronous, single-threaded) ORM calls without this.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture
def citynet(transactional_db):
    """Everything Citynet ships: the study's codings and both member lists."""
    call_command("load_citynet", stdout=io.StringIO())


# What a reader cannot read at this width: text pushed past the screen or past a box that hides
# overflow (text inside a sideways-scrolling box that says so, or in a chart, is readable), words
# broken across lines ("Eurocitie|s"), sideways-scrolling tables without a visible cue, and text
# areas cut short. Every <details> is opened first, so folded text counts too.
MEASURE_CLIPPING = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  window.dispatchEvent(new Event('resize'));
  const vw = window.innerWidth, clipped = [], broken = [], uncued = [], cut = [];
  const say = el => el.tagName.toLowerCase() + ': ' + el.textContent.replace(/\\s+/g, ' ').trim().slice(0, 60);
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('svg') || el.closest('.js-plotly-plot') || el.closest('.visually-hidden')) continue;
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    let a = el.parentElement, left = 0, right = vw, scrolls = false;
    while (a && a !== document.documentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'auto' || s.overflowX === 'scroll') { scrolls = true; break; }
      if (s.overflowX === 'hidden' || s.overflowX === 'clip') {
        const ar = a.getBoundingClientRect(); left = Math.max(left, ar.left); right = Math.min(right, ar.right); break;
      }
      a = a.parentElement;
    }
    if (!scrolls && (r.right > right + 2 || r.left < left - 2)) clipped.push(say(el));
  }
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('svg, .js-plotly-plot, textarea, script, .visually-hidden, code')) continue;
    for (const match of node.textContent.matchAll(/[A-Za-zÀ-ÿ]{4,}/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  for (const box of document.querySelectorAll('main *')) {
    const s = getComputedStyle(box);
    if (!(s.overflowX === 'auto' || s.overflowX === 'scroll') || box.scrollWidth <= box.clientWidth + 1) continue;
    if (box.closest('.js-plotly-plot')) continue;
    const cue = box.previousElementSibling;
    if (!(cue && cue.classList.contains('scroll-cue') && cue.getBoundingClientRect().height > 0)) uncued.push(say(box));
  }
  for (const area of document.querySelectorAll('main textarea')) {
    if (area.scrollHeight > area.clientHeight + 2) cut.push(area.id);
  }
  return {overflow: document.documentElement.scrollWidth > vw, clipped, broken, uncued, cut};
}"""


class Visit:
    """A browser page on the live server that records every request and every console error."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, path: str):
        self.page.goto(self.base_url + path)
        self.wait_for_charts()
        return self.page

    def wait_for_charts(self):
        self.page.wait_for_load_state("networkidle")
        # A locator assertion, not wait_for_function: its polling compiles a string, which the
        # site's Content Security Policy (no 'unsafe-eval') refuses when it has to retry.
        expect(self.page.locator(".chart-plot:not(.is-drawn)")).to_have_count(0)

    def screenshot(self, name: str):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        width = self.page.viewport_size["width"]
        self.page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)

    def clipping(self) -> dict:
        """Everything this width hides from a reader (MEASURE_CLIPPING); empty lists when none."""
        return self.page.evaluate(MEASURE_CLIPPING)

    def outside_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.base_url) and not url.startswith("data:")]


@pytest.fixture
def visit(live_server, citynet, page):
    page.set_viewport_size({"width": 1280, "height": 900})
    return Visit(page, live_server.url)
