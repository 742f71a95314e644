"""Production configuration comes from the environment alone: each test starts Django in a
fresh process, as a server would, with only the variables it names."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "citynet.example.org",
}
# The settings module alone, as every start reads it first (quicker than setting Django up).
SHOW_SETTINGS = """
import json
from citynet import settings
names = ["DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE",
         "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
         "SECURE_PROXY_SSL_HEADER", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF",
         "AXES_FAILURE_LIMIT", "AXES_COOLOFF_TIME"]
values = {name: getattr(settings, name, None) for name in names}
values["REST_FRAMEWORK"] = {key: settings.REST_FRAMEWORK[key] for key in
                            ("DEFAULT_THROTTLE_CLASSES", "DEFAULT_THROTTLE_RATES", "NUM_PROXIES")}
print(json.dumps(values))
"""


def run_django(args: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    """Run Python in a new process with the project's settings, none of this process's DJANGO_
    variables and the given ones (the database stays the suite's, so a PostgreSQL run checks it)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env.update(DJANGO_SETTINGS_MODULE="citynet.settings", **environment)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def settings_under(**environment: str) -> dict:
    result = run_django(["-c", SHOW_SETTINGS], environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_deploy_check_reports_nothing_in_production():
    result = run_django(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_django(["manage.py", "check"], {"DJANGO_DEBUG": "false"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_debug_is_off_unless_asked_for():
    values = settings_under(DJANGO_SECRET_KEY="x" * 50)
    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == []


@pytest.mark.parametrize(
    "variable, value",
    [
        ("DJANGO_SECURE_COOKIES", "flase"),
        ("DJANGO_HSTS_SECONDS", "a year"),
        ("DJANGO_API_THROTTLE_ANON", "120 per minute"),
        ("DJANGO_LOGIN_FAILURE_LIMIT", "five"),
    ],
)
def test_a_mistyped_setting_stops_the_start_naming_the_variable(variable, value):
    result = run_django(["-c", "import citynet.settings"], {**PRODUCTION, variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_production_defaults_are_the_strict_ones():
    values = settings_under(**PRODUCTION)
    assert values["ALLOWED_HOSTS"] == ["citynet.example.org"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    # Trusting X-Forwarded-Proto is opt-in: without a proxy that sets it, any client could.
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["REST_FRAMEWORK"] == {
        "DEFAULT_THROTTLE_CLASSES": [
            "citynet.throttling.AnonRateThrottle",
            "citynet.throttling.UserRateThrottle",
        ],
        "DEFAULT_THROTTLE_RATES": {"anon": "120/min", "user": "600/min"},
        "NUM_PROXIES": 0,
    }
    assert values["AXES_FAILURE_LIMIT"] == 5
    assert values["AXES_COOLOFF_TIME"] == 0.5  # hours


def test_each_protection_can_be_switched_for_a_plain_http_trial_or_a_proxy():
    values = settings_under(
        **PRODUCTION,
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_HSTS_INCLUDE_SUBDOMAINS="false",
        DJANGO_HSTS_PRELOAD="false",
        DJANGO_SECURE_PROXY_SSL_HEADER="true",
        DJANGO_TRUSTED_PROXIES="1",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://citynet.example.org",
        DJANGO_API_THROTTLE_ANON="30/min",
        DJANGO_API_THROTTLE_USER="1000/hour",
        DJANGO_LOGIN_FAILURE_LIMIT="10",
        DJANGO_LOGIN_COOLOFF_MINUTES="120",
    )
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://citynet.example.org"]
    assert values["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"] == {"anon": "30/min", "user": "1000/hour"}
    assert values["REST_FRAMEWORK"]["NUM_PROXIES"] == 1
    assert values["AXES_FAILURE_LIMIT"] == 10
    assert values["AXES_COOLOFF_TIME"] == 2


def test_debug_mode_is_plain_http_without_hsts():
    values = settings_under(DJANGO_DEBUG="true")
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
