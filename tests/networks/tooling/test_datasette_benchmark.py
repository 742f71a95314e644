"""manage.py benchmark --datasette runs end to end on a tiny data set (a smoke test: nothing is
judged on speed here). It starts real Datasette on an SQLite copy of the test database; Citynet
is served in process (`--in-process`), because a gunicorn server would read the configured
database, not the test's, and could not see the test's uncommitted rows. The real command serves
Citynet under gunicorn."""

import io
import json
import sqlite3

import pytest
from django.core.management import call_command

from networks.models import Coding
from networks.models import Evidence
from networks.models import Membership
from networks.tooling import datasette_benchmark
from tests.factories import CodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny_field():
    for position, code in enumerate(["a", "b", "c"], start=1):
        CodeFactory(code=code, position=position)
    call_command("generate_synthetic", scale=0.002, stdout=io.StringIO())


def test_compares_every_case_with_datasette_and_writes_the_figures(tiny_field, tmp_path):
    out = io.StringIO()
    call_command(
        "benchmark",
        datasette=True,
        pages=3,
        in_process=True,
        json=tmp_path / "d.json",
        stdout=out,
        stderr=io.StringIO(),
    )
    report = json.loads((tmp_path / "d.json").read_text())
    assert [result["name"] for result in report["results"]] == [
        "Memberships of the largest network",
        "Codings of the best-coded place",
        "Memberships of the largest network, walked",
        "Codings of the best-coded place, walked",
        "Cities, all",
        "Evidence of the best-coded place",
    ]
    for result in report["results"]:
        assert result["citynet_p50_ms"] > 0 and result["datasette_p50_ms"] > 0 and result["floor_p50_ms"] > 0
        # Both sides count the same rows of the same data.
        assert result["count"] == result["datasette_count"] > 0
        assert result["queries_page_1"] == result["queries_page_3"]
        assert result["checks"]["same count as Datasette"]
    memberships = report["results"][0]
    assert memberships["count"] == Membership.objects.filter(network__slug=report["subjects"]["network"]).count()
    assert "Datasette p50" in out.getvalue() and "ratio" in out.getvalue()


def test_the_copy_holds_the_data_datasette_serves(tiny_field, tmp_path):
    copy = tmp_path / "copy.db"
    datasette_benchmark.copy_to_sqlite(copy, progress=lambda message: None)
    with sqlite3.connect(copy) as database:
        counts = {
            table: database.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("networks_membership", "networks_coding", "networks_evidence")
        }
        stamp = database.execute("SELECT created_at FROM networks_membership LIMIT 1").fetchone()[0]
    database.close()
    assert counts == {
        "networks_membership": Membership.objects.count(),
        "networks_coding": Coding.objects.count(),
        "networks_evidence": Evidence.objects.count(),
    }
    assert stamp[:2] == "20" and "+" not in stamp  # as Django writes datetimes on SQLite


def test_a_page_slower_than_datasette_or_with_more_queries_fails():
    result = datasette_benchmark.Result(
        "memberships",
        "/a",
        "/b",
        citynet_p50_ms=12,
        datasette_p50_ms=10,
        count=5,
        datasette_count=5,
        queries_page_1=4,
        queries_page_3=4,
        queries_small=5,
    )
    datasette_benchmark.judge(result)
    assert result.checks == {
        "p50 <= Datasette's p50": False,
        "queries independent of page and data size": False,
        "same count as Datasette": True,
    }
    assert result.ratio == pytest.approx(1.2)


def test_datasette_next_urls_are_followed_on_the_local_server():
    assert datasette_benchmark.relative("http://127.0.0.1:8001/citynet/t.json?_next=50&_size=50") == (
        "/citynet/t.json?_next=50&_size=50"
    )
    assert datasette_benchmark.relative(None) is None
