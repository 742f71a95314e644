"""Logs a person can grep (README, "Health and logs").

- Every request gets an id: the one a proxy or client sent in `X-Request-ID` when it is short
  and plain, else a new one. It goes back in the `X-Request-ID` response header (also on a 500,
  whose page shows it, so a user can quote it) and onto every log record written while the
  request is served, including the body of a streamed answer.
- One access line per request (logger `citynet.access`): method, path (no query string: it may
  hold what someone searched for), status and duration.
- SQL slower than settings.CITYNET_SLOW_QUERY_MS (logger `citynet.slow_query`, WARNING): the
  statement with its placeholders, never the parameters, so no personal data or secret ends up
  in the log.
- JsonFormatter writes each record as one JSON object on one line; settings.LOGGING picks it
  in production and plain text under DEBUG.
"""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC
from datetime import datetime

from django.conf import settings
from django.core.signals import request_finished
from django.db import connections
from django.http import HttpResponseServerError
from django.http import JsonResponse
from django.utils.html import escape

REQUEST_ID_HEADER = "X-Request-ID"
# A longer id, or one with other characters, could forge or bloat log lines: a new one replaces it.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
NO_REQUEST = "-"
# Load balancers probe the health endpoint every few seconds; a healthy answer is not worth a line.
QUIET_WHEN_OK = ("/healthz",)
SQL_SHOWN = 1000

current_request_id: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)
access_log = logging.getLogger("citynet.access")
slow_query_log = logging.getLogger("citynet.slow_query")


class RequestIdMiddleware:
    """The request id, the access line and slow-query timing. First in MIDDLEWARE, so that
    every answer carries the id, redirects and errors included, and the duration covers the
    other middleware."""

    def __init__(self, get_response):
        self.get_response = get_response
        # The id stays set until the response is closed, after a streamed body has been sent.
        request_finished.connect(forget_request_id, dispatch_uid="citynet.logs.forget_request_id")

    def __call__(self, request):
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = sent if SANE_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        current_request_id.set(request_id)
        request.request_id = request_id
        watch_slow_queries()
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        response[REQUEST_ID_HEADER] = request_id
        if not (response.status_code == 200 and request.path.startswith(QUIET_WHEN_OK)):
            access_log.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
        return response


def forget_request_id(**kwargs) -> None:
    current_request_id.set(NO_REQUEST)


def watch_slow_queries() -> None:
    """Time every query on this thread's database connections from now on. Installed for good
    rather than for the request only, so that queries run while a streamed answer (a CSV
    export) is sent are timed too; once per connection object."""
    for alias in connections:
        wrappers = connections[alias].execute_wrappers
        if log_slow_query not in wrappers:
            wrappers.append(log_slow_query)


def log_slow_query(execute, sql, params, many, context):
    """A connection.execute_wrapper: runs the query, then logs it if it took at least
    settings.CITYNET_SLOW_QUERY_MS (0 logs every query; a negative value none)."""
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        duration_ms = (time.perf_counter() - started) * 1000
        threshold = settings.CITYNET_SLOW_QUERY_MS
        if 0 <= threshold <= duration_ms:
            statement = " ".join(str(sql).split())
            if len(statement) > SQL_SHOWN:
                statement = statement[:SQL_SHOWN] + "…"
            # The statement in the message too, for the plain-text format used under DEBUG.
            slow_query_log.warning(
                "slow query: %.1fms on %s: %s",
                duration_ms,
                context["connection"].alias,
                statement,
                extra={
                    "duration_ms": round(duration_ms, 1),
                    "database": context["connection"].alias,
                    "sql": statement,
                },
            )


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (`-` outside a request), for the text format."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, the known
    extra fields a record carries, and the traceback of an exception. Only the fields named
    here are written: Django puts the whole request object on some records."""

    EXTRA_FIELDS = ("method", "path", "status", "duration_ms", "database", "sql")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id.get(),
        }
        for name in self.EXTRA_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        # django.request's records of 4xx and 5xx answers.
        if "status" not in entry and isinstance(getattr(record, "status_code", None), int):
            entry["status"] = record.status_code
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def server_error(request):
    """handler500: Django's bare page, or under /api/ a JSON error like the API's others,
    each with the request id to quote when reporting the error."""
    request_id = getattr(request, "request_id", current_request_id.get())
    if request.path.startswith("/api/"):
        body = {"detail": "Server error.", "code": "server_error", "request_id": request_id}
        return JsonResponse(body, status=500)
    return HttpResponseServerError(
        "<!doctype html><title>Server error</title><h1>Server Error (500)</h1>"
        f"<p>Something went wrong on our side. If you report it, quote this request id: "
        f"<code>{escape(request_id)}</code></p>"
    )
