"""Browser tests: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against
`live_server`, with the study and the real member lists loaded into the test database."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

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
        self.page.wait_for_function("document.querySelectorAll('.chart-plot:not(.is-drawn)').length === 0")

    def screenshot(self, name: str):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        width = self.page.viewport_size["width"]
        self.page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)

    def outside_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.base_url) and not url.startswith("data:")]


@pytest.fixture
def visit(live_server, citynet, page):
    page.set_viewport_size({"width": 1280, "height": 900})
    return Visit(page, live_server.url)
