"""Reads from a read replica (citynet/replica.py, citynet/db_routers.py), against a real streaming
replica of the test server: `.ci/with-postgres --replica` makes one with pg_basebackup and sets
DATABASE_REPLICA_URL (CI's read replica step). Tests that need it are skipped without it.

The replica streams the whole primary, so it holds the test database pytest-django made there
(settings: TEST MIRROR). Only committed rows reach it, hence transactional tests. To tell which
database answered, replay is paused on the replica (pg_wal_replay_pause) before a write on the
primary: the replica then lacks that write until replay resumes.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import dj_database_url
import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError
from django.db import connections
from django.db import router
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from cities.models import City
from citynet import caching
from citynet import replica
from citynet.db_routers import PRIMARY
from citynet.db_routers import REPLICA
from citynet.db_routers import Route
from citynet.db_routers import current_route
from networks.models import Network
from tests.factories import NetworkFactory

ROOT = Path(__file__).resolve().parents[2]
CATCH_UP_SECONDS = 20
# CI's replica step sets CITYNET_REPLICA_TESTS=required: without a replica these tests fail there.
REPLICA_MARKS = (
    pytest.mark.skipif(
        not replica.configured() and os.environ.get("CITYNET_REPLICA_TESTS") != "required",
        reason="needs DATABASE_REPLICA_URL: a streaming replica of the PostgreSQL test server "
        "(run under `.ci/with-postgres --replica`, as CI's read replica step does)",
    ),
    pytest.mark.django_db(transaction=True, databases=[PRIMARY, REPLICA]),
    pytest.mark.usefixtures("in_step"),
)


def with_replica(test):
    """A test against the streaming replica, in step with the primary when it starts."""
    for mark in REPLICA_MARKS:
        test = mark(test)
    return test


def replica_sql(sql: str, params=()):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def wait_until_replayed() -> None:
    """Until the replica has replayed everything the primary has written so far (bounded)."""
    with connections[PRIMARY].cursor() as cursor:
        # The insert position: with synchronous_commit off, the last commit may not be written yet.
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        (position,) = cursor.fetchone()
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while True:
        try:
            if replica_sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position])[0]:
                return
        except DatabaseError:  # the test database itself may not have reached the replica yet
            replica.close_replica()
        if time.monotonic() > deadline:
            pytest.fail(f"the replica did not replay the primary's WAL up to {position} in {CATCH_UP_SECONDS} s")
        time.sleep(0.02)


@pytest.fixture
def in_step(settings, monkeypatch):
    """A replica that has replayed all the primary's writes, and routing that looks at it again at
    every request; afterwards replay is resumed and the routing forgotten, whatever the test did."""
    settings.DATABASE_REPLICA_MAX_LAG = 3600
    monkeypatch.setattr(replica, "CHECK_SECONDS", 0)
    resume_replay()
    wait_until_replayed()
    replica.forget()
    caching.clear()
    yield
    resume_replay()
    replica.forget()


def resume_replay() -> None:
    replica.close_replica()
    try:
        replica_sql("SELECT pg_wal_replay_resume()")
    except DatabaseError:  # not there yet (the first test), or not answering: the wait will tell
        replica.close_replica()


@pytest.fixture
def paused(in_step):
    """Replay paused once a first network reached the replica: later writes stay on the primary."""
    NetworkFactory(name="Replicated Alliance", slug="replicated-alliance")
    wait_until_replayed()
    replica_sql("SELECT pg_wal_replay_pause()")


def network_slugs(client, **headers) -> set[str]:
    response = client.get("/api/v1/networks/", **headers)
    assert response.status_code == 200, response.content
    return {row["slug"] for row in response.json()["results"]}


def a_closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@with_replica
def test_anonymous_reads_come_from_the_replica(client, paused):
    NetworkFactory(name="Unreplicated Union", slug="unreplicated-union")

    assert network_slugs(client) == {"replicated-alliance"}
    page = client.get("/networks/").content.decode()
    assert "Replicated Alliance" in page and "Unreplicated Union" not in page
    resume_replay()
    wait_until_replayed()
    assert network_slugs(client) == {"replicated-alliance", "unreplicated-union"}
    assert "Unreplicated Union" in client.get("/networks/").content.decode()


@with_replica
def test_signed_in_reads_come_from_the_primary(client, staff_user, paused):
    NetworkFactory(name="Unreplicated Union", slug="unreplicated-union")
    client.force_login(staff_user)

    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert network_slugs(client) == {"replicated-alliance", "unreplicated-union"}
        assert "Unreplicated Union" in client.get("/networks/").content.decode()
    assert len(on_replica) == 0


@with_replica
def test_a_token_holder_reads_from_the_primary(client, staff_user, paused):
    token = Token.objects.create(user=staff_user)
    NetworkFactory(name="Unreplicated Union", slug="unreplicated-union")

    assert network_slugs(client, HTTP_AUTHORIZATION=f"Token {token.key}") == {
        "replicated-alliance",
        "unreplicated-union",
    }


@with_replica
def test_an_editor_reads_their_own_write_at_once(client, editor, paused):
    client.force_login(editor)
    payload = {"slug": "bergen", "name": "Bergen", "country": "NO", "kind": "city"}

    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        created = client.post("/api/v1/cities/", payload, content_type="application/json")
        read = client.get("/api/v1/cities/bergen/")
    assert created.status_code == 201, created.content
    assert read.status_code == 200 and read.json()["name"] == "Bergen"
    assert len(on_replica) == 0
    assert City.objects.using(PRIMARY).filter(slug="bergen").exists()
    # Written to the primary only: the paused replica has not seen it.
    assert not City.objects.using(REPLICA).filter(slug="bergen").exists()


@with_replica
def test_a_write_during_an_anonymous_read_goes_to_the_primary_and_is_read_back(paused):
    current_route.set(Route(database=REPLICA))
    try:
        assert not Network.objects.filter(slug="unreplicated-union").exists()  # the paused replica
        NetworkFactory(name="Unreplicated Union", slug="unreplicated-union")
        assert Network.objects.filter(slug="unreplicated-union").exists()
    finally:
        current_route.set(None)
    assert Network.objects.using(PRIMARY).filter(slug="unreplicated-union").exists()


@with_replica
def test_a_replica_over_the_lag_limit_is_not_read(client, paused, settings):
    settings.DATABASE_REPLICA_MAX_LAG = 0
    NetworkFactory(name="Unreplicated Union", slug="unreplicated-union")

    assert network_slugs(client) == {"replicated-alliance", "unreplicated-union"}
    assert "Unreplicated Union" in client.get("/networks/").content.decode()
    state = replica.status()
    assert not state.serving and "over the 0 s limit" in state.reason
    assert state.lag_seconds > 0


@with_replica
def test_a_replica_within_the_lag_limit_says_how_far_behind(client, paused):
    NetworkFactory(name="Unreplicated Union", slug="unreplicated-union")

    state = replica.status(refresh=True)
    assert state.serving and state.in_recovery
    assert 0 < state.lag_seconds < 3600
    assert state.as_dict()["reason"].endswith("behind (limit 3600 s)")


@with_replica
def test_cached_pages_and_etags_carry_the_version_of_the_data_they_show(client, paused):
    NetworkFactory(name="Unreplicated Union", slug="unreplicated-union")
    stale = client.get("/api/v1/networks/")
    assert {row["slug"] for row in stale.json()["results"]} == {"replicated-alliance"}
    client.get("/networks/")  # cached, without the network the replica lacks

    resume_replay()
    wait_until_replayed()
    # Had the tag been the primary's version, this would be a 304 to a list one network short.
    fresh = client.get("/api/v1/networks/", HTTP_IF_NONE_MATCH=stale["ETag"])
    assert fresh.status_code == 200
    assert {row["slug"] for row in fresh.json()["results"]} == {"replicated-alliance", "unreplicated-union"}
    assert "Unreplicated Union" in client.get("/networks/").content.decode()


@with_replica
def test_an_unreachable_replica_is_not_read(client, paused, monkeypatch):
    NetworkFactory(name="Unreplicated Union", slug="unreplicated-union")
    monkeypatch.setitem(connections[REPLICA].settings_dict, "PORT", str(a_closed_port()))
    replica.close_replica()

    assert network_slugs(client) == {"replicated-alliance", "unreplicated-union"}
    page = client.get("/networks/")
    assert page.status_code == 200 and "Unreplicated Union" in page.content.decode()
    state = replica.status()
    assert not state.serving and "could not be read" in state.reason


@with_replica
def test_a_replica_connection_lost_since_the_last_check_falls_back_to_the_primary(client, paused, monkeypatch):
    NetworkFactory(name="Unreplicated Union", slug="unreplicated-union")
    assert replica.status(refresh=True).serving
    monkeypatch.setattr(replica, "CHECK_SECONDS", 3600)  # the next request trusts that check
    kill_replica_connection()

    assert network_slugs(client) == {"replicated-alliance", "unreplicated-union"}
    assert "failed during a request" in replica.status().reason


@with_replica
@pytest.mark.parametrize("path", ["/api/v1/networks/", "/networks/"])
def test_a_replica_failing_inside_the_view_is_answered_from_the_primary(client, paused, monkeypatch, path):
    NetworkFactory(name="Unreplicated Union", slug="unreplicated-union")
    assert replica.status(refresh=True).serving
    monkeypatch.setattr(replica, "CHECK_SECONDS", 3600)

    def dies_at_the_network_query(execute, sql, params, many, context):
        if "networks_network" in sql:
            kill_replica_connection()  # as if the replica went down just now
        return execute(sql, params, many, context)

    with connections[REPLICA].execute_wrapper(dies_at_the_network_query):
        response = client.get(path)
    assert response.status_code == 200
    assert b"unreplicated-union" in response.content or b"Unreplicated Union" in response.content
    assert "failed during a request" in replica.status().reason


def kill_replica_connection() -> None:
    """End this process's replica session from another connection, as a replica restart would."""
    connection = connections[REPLICA]
    connection.ensure_connection()
    info = connection.connection.info
    with psycopg.connect(host=info.host, port=info.port, user=info.user, dbname=info.dbname, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [info.backend_pid])


@with_replica
def test_migrations_never_run_on_the_replica():
    models = apps.get_models(include_auto_created=True)
    assert not any(router.allow_migrate_model(REPLICA, model) for model in models)
    assert all(router.allow_migrate_model(PRIMARY, model) for model in models)

    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        call_command("migrate", verbosity=0)
    assert len(on_replica) == 0


@pytest.mark.parametrize(
    ("method", "headers", "path", "expected"),
    [
        ("get", {}, "/networks/", True),
        ("head", {}, "/api/v1/networks/", True),
        ("post", {}, "/api/v1/networks/", False),
        ("get", {"HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}=abc"}, "/networks/", False),
        ("get", {"HTTP_AUTHORIZATION": "Token abc"}, "/api/v1/networks/", False),
        ("get", {}, "/admin/login/", False),
    ],
)
def test_only_reads_by_visitors_not_signed_in_may_use_the_replica(method, headers, path, expected):
    request = getattr(RequestFactory(), method)(path, **headers)
    assert replica.may_read_replica(request) is expected


def test_manage_py_check_warns_when_the_replica_is_not_postgresql(tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "DATABASE_"))}
    env.update(DJANGO_SETTINGS_MODULE="citynet.settings", DJANGO_DEBUG="true")
    env.update(DATABASE_URL="postgres://citynet@db.example.org/citynet", DATABASE_REPLICA_URL=f"sqlite:///{tmp_path}/r")
    command = [sys.executable, "manage.py", "check"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "(citynet.W101) DATABASE_REPLICA_URL is set, but read replica routing needs PostgreSQL" in result.stderr


@pytest.mark.parametrize(
    ("primary", "replica_url", "warned"),
    [
        ("postgres://citynet@db.example.org/citynet", "postgres://citynet@replica.example.org/citynet", False),
        ("postgres://citynet@db.example.org/citynet", "sqlite:///replica.db", True),
        ("sqlite:///primary.db", "postgres://citynet@replica.example.org/citynet", True),
    ],
)
def test_replica_routing_needs_postgresql_on_both_sides(primary, replica_url, warned):
    databases = {PRIMARY: dj_database_url.parse(primary), REPLICA: dj_database_url.parse(replica_url)}
    assert replica.configured(databases) is not warned
    assert [warning.id for warning in replica.configuration_warnings(databases)] == (["citynet.W101"] if warned else [])
