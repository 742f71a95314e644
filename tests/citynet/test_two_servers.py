"""Two app servers, one database, one Redis (README, "Deploying"): what one server does, the
other knows at once. Two real gunicorn servers, as production runs them (citynet/gunicorn.conf.py,
DEBUG off), serve this run's PostgreSQL test database and share the Redis at REDIS_URL; the
tests write through one and read through the other, as a load balancer would send a client.

They need a database the servers' processes can see (PostgreSQL) and a Redis: the PostgreSQL
step of .ci/run has both (.ci/with-redis). Every request names the same host, as behind a proxy,
so the servers share cached pages as they would in production."""

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token

from citynet.redis_cache import FailSoftRedisCache
from tests.factories import CityFactory
from tests.factories import MembershipFactory
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
ANON_RATE = 6  # a minute, for both servers together
STARTUP_SECONDS = 45

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL), as the PostgreSQL step of .ci/run has",
    ),
]


class Answer:
    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = response.headers
        self.text = response.read().decode()

    def json(self):
        return json.loads(self.text)


class Server:
    """One gunicorn server on a port of its own; `call()` sends it a request."""

    def __init__(self, name: str, env: dict, log_dir: Path):
        self.name, self.env, self.log = name, env, log_dir / f"gunicorn-{name}.log"
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> None:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        command = [sys.executable, "-m", "gunicorn", "-c", "citynet/gunicorn.conf.py", "--bind", f"{HOST}:{self.port}"]
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"server {self.name} stopped (exit {self.process.returncode}):\n{self.log.read_text()}")
            try:
                self.call("GET", "/")
                return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"server {self.name} did not answer within {STARTUP_SECONDS} s:\n{self.log.read_text()}")

    def kill(self) -> None:
        """Kill the master and its workers at once, as a crash of the machine would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def call(self, method: str, path: str, body: str | None = None, headers: dict | None = None) -> Answer:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
            return Answer(connection.getresponse())
        finally:
            connection.close()


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory):
    """Servers A and B, on the test database and Redis, under a key prefix of their own."""
    database = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"])
    prefix = f"citynet-two-servers-{uuid.uuid4().hex[:12]}"
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env.pop("DATABASE_REPLICA_URL", None)  # the servers read and write the test database only
    env.update(
        DATABASE_URL=database.geturl(),
        REDIS_URL=settings.REDIS_URL,
        CITYNET_REDIS_PREFIX=prefix,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),  # one key for both: a CSRF token from A is good on B
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
        DJANGO_API_THROTTLE_ANON=f"{ANON_RATE}/min",
        DJANGO_API_THROTTLE_USER="100000/min",
        WEB_CONCURRENCY="2",
    )
    log_dir = tmp_path_factory.mktemp("two-servers")
    pair = {name: Server(name, env, log_dir) for name in ("A", "B")}
    try:
        for server in pair.values():
            server.start()
        for server in pair.values():
            server.wait_until_up()
        pair["throttle_counts"] = FailSoftRedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"{prefix}:default"})
        yield pair
    finally:
        for server in pair.values():
            if isinstance(server, Server):
                server.stop()
        FailSoftRedisCache(settings.REDIS_URL, {"KEY_PREFIX": prefix}).clear()


@pytest.fixture
def running(servers):
    """Servers A and B, either started again if an earlier test killed it."""
    stopped = [server for server in (servers["A"], servers["B"]) if server.process.poll() is not None]
    for server in stopped:
        server.start()
    for server in stopped:
        server.wait_until_up()
    return servers


@pytest.fixture
def token():
    user = UserFactory(is_staff=True, is_superuser=True)
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


def send_json(server: Server, method: str, path: str, data: dict, headers: dict) -> Answer:
    return server.call(method, path, json.dumps(data), {"Content-Type": "application/json", **headers})


def test_a_write_through_one_server_is_seen_at_once_through_the_other(running, token):
    a, b = running["A"], running["B"]
    city = CityFactory(name="Oslo", slug="oslo")
    membership = MembershipFactory(city=city, note="")
    page = "/cities/oslo/"
    for server in (b, a, b):  # the page is built, kept in Redis, and served from there
        assert server.call("GET", page).status == 200
    changed = send_json(a, "PATCH", f"/api/v1/memberships/{membership.pk}/", {"note": "Rejoined in 2021"}, token)
    assert changed.status == 200, changed.text
    assert "Rejoined in 2021" in b.call("GET", page).text
    assert b.call("GET", f"/api/v1/memberships/{membership.pk}/", headers=token).json()["note"] == "Rejoined in 2021"
    made = send_json(b, "POST", "/api/v1/cities/", {"slug": "bergen", "name": "Bergen", "country": "NO"}, token)
    assert made.status == 201, made.text
    assert a.call("GET", "/cities/bergen/").status == 200
    assert "Bergen" in a.call("GET", "/cities/").text


def test_the_api_rate_limit_holds_across_both_servers(running):
    running["throttle_counts"].clear()  # no other test's anonymous requests count
    a, b = running["A"], running["B"]
    statuses = [server.call("GET", "/api/v1/cities/").status for server in [a] * 4 + [b] * 3]
    # Per-process counts would let 6 through on each server (and more, one count per worker).
    assert statuses == [200] * ANON_RATE + [429]
    assert a.call("GET", "/api/v1/cities/").status == 429


def log_in(server: Server, username: str, password: str) -> Answer:
    form = server.call("GET", "/admin/login/")
    cookie = re.search(r"csrftoken=([^;]+)", form.headers["Set-Cookie"]).group(1)
    field = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": field})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}"}
    return server.call("POST", "/admin/login/?next=/admin/", body, headers)


def test_the_login_lockout_holds_across_both_servers(running):
    a, b = running["A"], running["B"]
    user = UserFactory(is_staff=True)
    for server in (a, a, a, b):
        refused = log_in(server, user.username, "wrong")
        assert refused.status == 200 and "Please enter the correct username and password" in refused.text
    assert log_in(b, user.username, "wrong").status == 429  # the fifth failure, split 3 + 2
    locked = log_in(a, user.username, "correct horse battery staple")
    assert locked.status == 429
    assert "Login refused: too many failed attempts (5)" in locked.text
    assert "sessionid" not in (locked.headers["Set-Cookie"] or "")


def test_when_one_server_is_killed_the_other_serves_on(running, token):
    a, b = running["A"], running["B"]
    CityFactory(name="Oslo", slug="oslo")
    a.kill()
    with pytest.raises(OSError):
        a.call("GET", "/")
    assert "Oslo" in b.call("GET", "/cities/oslo/").text
    renamed = send_json(b, "PATCH", "/api/v1/cities/oslo/", {"name": "Christiania"}, token)
    assert renamed.status == 200, renamed.text
    assert "Christiania" in b.call("GET", "/cities/oslo/").text
