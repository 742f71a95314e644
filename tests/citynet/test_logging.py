"""Logs as an operator reads them (citynet/logs.py): the lines the configured console handler
writes, one JSON object each, joined to a request by the id in its X-Request-ID header."""

import io
import json
import logging
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import path

import citynet.urls
from citynet import logs
from tests.citynet.test_deploy_check import PRODUCTION
from tests.citynet.test_deploy_check import run_django

pytestmark = pytest.mark.django_db


def fail(request):
    raise RuntimeError("the view broke")


# For the error tests: the site's URLs and error page, plus one view that fails.
urlpatterns = [path("test-failure/", fail), path("api/v1/test-failure/", fail), *citynet.urls.urlpatterns]
handler500 = citynet.urls.handler500


@pytest.fixture
def log_lines():
    """The lines the settings' console handler writes, parsed; a line that is not JSON fails."""
    handler = next(handler for handler in logging.getLogger().handlers if handler.name == "console")
    assert isinstance(handler.formatter, logs.JsonFormatter), "tests run as production: DJANGO_DEBUG off"
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    handler.setStream(previous)


def test_each_answer_gets_a_new_request_id(client):
    first, second = client.get("/healthz/live")["X-Request-ID"], client.get("/healthz/live")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_a_request_id_sent_by_the_proxy_is_kept(client):
    response = client.get("/healthz/live", headers={"X-Request-ID": "lb-7f3a9c-0001"})
    assert response["X-Request-ID"] == "lb-7f3a9c-0001"


@pytest.mark.parametrize("sent", ["two words", "x" * 65, "id\nforged log line", '"}{"level": "ERROR'])
def test_a_request_id_that_could_forge_or_bloat_a_log_line_is_replaced(client, sent):
    response = client.get("/healthz/live", headers={"X-Request-ID": sent})
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_each_request_writes_one_json_access_line_without_its_query_string(client, log_lines):
    response = client.get("/cities/", {"q": "someone's search"})
    lines = [line for line in log_lines() if line["logger"] == "citynet.access"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == response["X-Request-ID"]
    assert (line["level"], line["method"], line["path"], line["status"]) == ("INFO", "GET", "/cities/", 200)
    assert isinstance(line["duration_ms"], float)
    assert {"time", "message"} <= set(line)
    assert "search" not in json.dumps(line)


def test_a_healthy_probe_writes_no_access_line_but_a_failing_one_does(client, log_lines, monkeypatch):
    client.get("/healthz")
    assert not [line for line in log_lines() if line["logger"] == "citynet.access"]
    monkeypatch.setattr(logs, "QUIET_WHEN_OK", ())
    client.get("/healthz")
    assert [line["path"] for line in log_lines() if line["logger"] == "citynet.access"] == ["/healthz"]


def test_slow_queries_are_logged_with_the_request_id_and_the_sql(client, log_lines, settings):
    settings.CITYNET_SLOW_QUERY_MS = 0
    response = client.get("/healthz")
    queries = [line for line in log_lines() if line["logger"] == "citynet.slow_query"]
    assert queries
    assert {line["request_id"] for line in queries} == {response["X-Request-ID"]}
    assert {line["level"] for line in queries} == {"WARNING"}
    assert "SELECT 1" in [line["sql"] for line in queries]
    assert {line["database"] for line in queries} == {"default"}


def test_a_slow_query_is_logged_without_its_parameters(log_lines, settings):
    settings.CITYNET_SLOW_QUERY_MS = 0
    logs.watch_slow_queries()
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s", ["alice@example.org"])
    (line,) = [line for line in log_lines() if line["logger"] == "citynet.slow_query"]
    assert line["sql"] == "SELECT %s"
    assert "alice" not in json.dumps(line)
    assert line["request_id"] == "-"


def test_quick_queries_are_not_logged_at_the_default_threshold(client, log_lines):
    client.get("/healthz")
    assert not [line for line in log_lines() if line["logger"] == "citynet.slow_query"]


@pytest.mark.urls(__name__)
def test_an_error_is_logged_with_its_traceback_and_the_id_the_user_sees(log_lines):
    response = Client(raise_request_exception=False).get("/test-failure/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert request_id in response.content.decode()
    (error,) = [line for line in log_lines() if line["level"] == "ERROR"]
    assert error["logger"] == "django.request"
    assert error["request_id"] == request_id
    assert error["status"] == 500
    assert "RuntimeError: the view broke" in error["exception"]
    assert "Traceback" in error["exception"]
    (access,) = [line for line in log_lines() if line["logger"] == "citynet.access"]
    assert (access["status"], access["request_id"]) == (500, request_id)


@pytest.mark.urls(__name__)
def test_an_api_error_is_json_with_the_request_id():
    response = Client(raise_request_exception=False).get("/api/v1/test-failure/")
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Server error.",
        "code": "server_error",
        "request_id": response["X-Request-ID"],
    }


@pytest.mark.parametrize(
    "environment, formatter",
    [({}, "json"), ({"DJANGO_DEBUG": "true"}, "text"), ({"DJANGO_DEBUG": "true", "DJANGO_LOG_FORMAT": "json"}, "json")],
)
def test_logs_are_json_in_production_and_text_under_debug_unless_asked(environment, formatter):
    show = "from citynet import settings; print(settings.LOGGING['handlers']['console']['formatter'])"
    result = run_django(["-c", show], {**PRODUCTION, **environment})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == formatter


def test_a_mistyped_log_format_stops_the_start():
    result = run_django(["-c", "import citynet.settings"], {**PRODUCTION, "DJANGO_LOG_FORMAT": "jsno"})
    assert result.returncode != 0
    assert "DJANGO_LOG_FORMAT" in result.stderr
