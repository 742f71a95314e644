"""Safe on the internet: HTTPS and security headers, a script-tight Content Security Policy,
API throttling and page caps, bounded search input, and the admin login lockout."""

import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from cities.models import City
from tests.factories import CityFactory
from tests.factories import NetworkFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
STRICT_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PASSWORD = "correct horse battery staple"  # tests/factories.py UserFactory


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


# --- HTTPS and headers ------------------------------------------------------------------


def test_plain_http_is_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/networks/?x=1")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/networks/?x=1"


def test_https_pages_carry_hsts_and_the_security_headers(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_session_and_csrf_cookies_are_secure_in_production(client, staff_user):
    # Tests run with DEBUG off and no DJANGO_SECURE_COOKIES, as production does.
    client.get("/admin/login/", secure=True)
    response = client.post("/admin/login/", {"username": staff_user.username, "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["sessionid"]["httponly"] is True
    assert client.cookies["csrftoken"]["secure"] is True


def test_a_host_not_allowed_is_refused(client):
    assert client.get("/", headers={"host": "evil.example.com"}).status_code == 400


# --- Content Security Policy ------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/networks/", "/cities/", "/search/?q=x", "/api/v1/", "/admin/login/"])
def test_pages_allow_scripts_only_from_this_site(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert policy(response) == STRICT_POLICY


@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_only_the_api_docs_may_run_their_inline_start_script(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert policy(response) == {
        **STRICT_POLICY,
        "script-src": "'self' 'unsafe-inline'",
        "worker-src": "'self' blob:",
    }


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.IGNORECASE):
            if "src=" not in tag and 'type="application/json"' not in tag:
                offenders.append(f"{path.relative_to(TEMPLATES)}: {tag}")
        offenders += [f"{path.relative_to(TEMPLATES)}: {match}" for match in re.findall(r"\son[a-z]+\s*=", text)]
        offenders += [f"{path.relative_to(TEMPLATES)}: javascript: URL" for _ in re.findall(r"javascript:", text)]
    assert offenders == []


# --- API abuse limits ---------------------------------------------------------------------


def test_anonymous_client_gets_429_after_its_rate(client, tiny_rates):
    NetworkFactory()
    statuses = [client.get("/api/v1/networks/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/cities/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["detail"].startswith("Request was throttled.")


def test_a_forged_forwarded_for_header_does_not_reset_the_count(client, tiny_rates):
    for number in range(3):
        assert client.get("/api/v1/networks/", headers={"x-forwarded-for": f"10.0.0.{number}"}).status_code == 200
    assert client.get("/api/v1/networks/", headers={"x-forwarded-for": "10.0.0.9"}).status_code == 429


def test_signed_in_client_has_its_own_higher_rate(client, reader, tiny_rates):
    client.force_login(reader)
    statuses = [client.get("/api/v1/networks/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_anonymous_writes_are_throttled_too(client, tiny_rates):
    statuses = [client.post("/api/v1/cities/", {"name": "X"}).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_guessing_tokens_is_throttled(client, tiny_rates):
    statuses = [
        client.get("/api/v1/networks/", headers={"Authorization": f"Token guess{number}"}).status_code
        for number in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def test_writes_refused_for_lack_of_permission_count_against_the_rate(client, read_only_staff, tiny_rates):
    client.force_login(read_only_staff)
    statuses = [client.post("/api/v1/cities/", {"name": "X"}).status_code for _ in range(6)]
    assert statuses == [403] * 5 + [429]


def test_html_pages_are_not_throttled(client, tiny_rates):
    assert {client.get("/networks/").status_code for _ in range(6)} == {200}


def test_api_page_size_is_capped_at_500(client):
    City.objects.bulk_create(
        City(name=f"Place {n}", slug=f"place-{n}", country="NO", kind=City.Kind.CITY) for n in range(501)
    )
    response = client.get("/api/v1/cities/?page_size=100000")
    assert response.status_code == 200
    assert response.json()["count"] == 501
    assert len(response.json()["results"]) == 500


# --- Bounded search input -----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/search/", "/cities/", "/graph/"])
def test_search_text_is_cut_to_100_characters(client, url):
    CityFactory(name="Oslo")
    response = client.get(url, {"q": "Oslo" + "x" * 10_000})
    assert response.status_code == 200
    assert response.context["query"] == "Oslo" + "x" * 96


# --- Failed logins ------------------------------------------------------------------------


def log_in(client, username: str, password: str, address: str = "192.0.2.1"):
    client.get("/admin/login/")
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_failed_logins_lock_out_even_the_right_password(client, staff_user):
    for _ in range(4):
        response = log_in(client, staff_user.username, "wrong")
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()
    response = log_in(client, staff_user.username, "wrong")
    assert response.status_code == 429
    response = log_in(client, staff_user.username, PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "Login refused: too many failed attempts (5) from this address or for this username." in page
    assert "blocked for 30 minutes, even with the right password" in page


def test_the_lockout_holds_for_the_username_from_another_address(client, staff_user):
    for number in range(5):
        log_in(client, staff_user.username, "wrong", address=f"198.51.100.{number}")
    assert log_in(client, staff_user.username, PASSWORD, address="203.0.113.7").status_code == 429
    assert not signed_in(client)


def test_the_lockout_holds_for_the_address_with_another_username(client, staff_user):
    other = UserFactory(is_staff=True)
    for number in range(5):
        log_in(client, f"guess{number}", "wrong")
    assert log_in(client, other.username, PASSWORD).status_code == 429
    assert not signed_in(client)


def test_logging_in_works_again_after_the_cool_off(client, staff_user):
    for _ in range(5):
        log_in(client, staff_user.username, "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(minutes=31))
    response = log_in(client, staff_user.username, PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_a_successful_login_clears_earlier_failures(client, staff_user):
    for _ in range(4):
        log_in(client, staff_user.username, "wrong")
    assert log_in(client, staff_user.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert log_in(client, staff_user.username, "wrong").status_code == 200
