"""The health endpoint (citynet/health.py): what a load balancer and an operator read from it."""

import socket

import pytest
from django.conf import settings as django_settings
from django.db import DEFAULT_DB_ALIAS
from django.db import OperationalError
from django.db import connection
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import load_backend

from citynet import health
from citynet import replica
from tests.citynet.test_replica import in_step  # noqa: F401 (a fixture)
from tests.citynet.test_replica import paused  # noqa: F401 (a fixture)
from tests.citynet.test_replica import with_replica
from tests.factories import NetworkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_replica(request, monkeypatch):
    """Tests of the primary and the cache leave out a replica that DATABASE_REPLICA_URL may name
    (they may not query it); the tests against the real replica (`in_step`) keep it."""
    if "in_step" not in request.fixturenames:
        monkeypatch.setattr(health, "replica_connection", lambda: None)


@pytest.fixture
def migrations_unchecked(monkeypatch):
    """A process that has not yet seen its migrations applied (the check remembers success)."""
    monkeypatch.setattr(health, "migrations_applied", False)


def test_a_healthy_site_answers_200_with_every_check_ok(client, migrations_unchecked):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "cache"}
    assert {check["status"] for check in body["checks"].values()} == {"ok"}


def test_the_answer_is_never_cached(client):
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_once_migrations_are_known_applied_a_probe_costs_one_query(client, django_assert_num_queries):
    client.get("/healthz")
    # SELECT 1 on the primary; the migrations are not loaded again, the cache is not SQL.
    with django_assert_num_queries(1):
        assert client.get("/healthz").status_code == 200


def test_answers_plain_http_while_every_page_is_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz/live").status_code == 200


def test_a_database_that_cannot_be_reached_is_a_503_that_names_no_host(client, monkeypatch, migrations_unchecked):
    def unreachable(*args, **kwargs):
        raise OperationalError('connection to server at "db.internal.example" failed: password authentication')

    monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "cursor", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "fail"
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert b"db.internal.example" not in response.content
    assert b"password" not in response.content


def test_a_migration_not_applied_is_a_503(client, migrations_unchecked):
    MigrationRecorder(connection).migration_qs.filter(app="networks").order_by("-id").first().delete()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"]["status"] == "fail"
    assert response.json()["checks"]["migrations"]["error"] == "MigrationsPending"


def test_the_answer_holds_no_database_name_user_or_secret(client):
    body = client.get("/healthz").content.decode()
    secrets = [connection.settings_dict[key] for key in ("NAME", "USER", "PASSWORD", "HOST")]
    secrets.append(django_settings.SECRET_KEY)
    for secret in filter(None, map(str, secrets)):
        assert secret not in body


def a_closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_redis_down_is_reported_but_the_site_stays_in_rotation(client, settings):
    # The shared cache as production has it (REDIS_URL), with no Redis there: it keeps nothing.
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "citynet.redis_cache.FailSoftRedisCache",
            "LOCATION": f"redis://127.0.0.1:{a_closed_port()}/0",
        },
    }
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cache"]["status"] == "fail"
    assert body["checks"]["cache"]["error"] == "CacheMismatch"


@pytest.mark.skipif("replica" in django_settings.DATABASES, reason="DATABASE_REPLICA_URL names a replica")
def test_without_a_replica_none_is_reported(client):
    assert "replica" not in client.get("/healthz").json()["checks"]


@with_replica
def test_a_real_replica_in_step_is_ok(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["replica"]["status"] == "ok"
    assert body["checks"]["replica"]["lag_seconds"] == 0


@with_replica
@pytest.mark.usefixtures("paused")
def test_a_real_replica_over_the_lag_limit_degrades(client, settings):
    settings.DATABASE_REPLICA_MAX_LAG = 0
    NetworkFactory(name="Unreplicated Union", slug="unreplicated-union")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["replica"]["error"] == "ReplicaNotInUse"


def reads_from_the_replica(serving: bool, lag: float) -> replica.Status:
    return replica.Status(configured=True, serving=serving, reason="as the test says", lag_seconds=lag)


def test_a_replica_the_site_reads_from_is_ok_with_its_lag(client, monkeypatch):
    # The primary's own connection stands in for the replica's: it answers.
    monkeypatch.setattr(health, "replica_connection", lambda: connection)
    monkeypatch.setattr(replica, "status", lambda: reads_from_the_replica(True, 0.4))
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["replica"]["status"] == "ok"
    assert body["checks"]["replica"]["lag_seconds"] == 0.4


def test_a_replica_too_far_behind_to_read_from_degrades_without_saying_why(client, monkeypatch):
    monkeypatch.setattr(health, "replica_connection", lambda: connection)
    state = replica.Status(configured=True, serving=False, reason="the replica at db2.internal.example lags")
    monkeypatch.setattr(replica, "status", lambda: state)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["replica"]["error"] == "ReplicaNotInUse"
    assert b"db2.internal.example" not in response.content


def test_a_replica_that_cannot_be_reached_degrades_but_keeps_the_site_in_rotation(client, monkeypatch, tmp_path):
    broken = dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        broken.update(HOST="127.0.0.1", PORT="1", OPTIONS={"connect_timeout": 2})
    else:
        broken["NAME"] = str(tmp_path / "no-such-folder" / "replica.sqlite3")
    replica = load_backend(broken["ENGINE"]).DatabaseWrapper(broken, alias="replica")
    monkeypatch.setattr(health, "replica_connection", lambda: replica)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["replica"]["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"
    replica.close()


def test_liveness_asks_nothing_of_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_write_to_the_health_endpoint_is_refused(client):
    assert client.post("/healthz").status_code == 405
