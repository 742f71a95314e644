import csv
import datetime
import hashlib
import io
import json
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.core.management import call_command

from networks.importing.study import study_load
from networks.research.releases import build_release
from networks.research.releases import citation_bibtex
from networks.research.releases import csv_value
from networks.research.releases import deterministic_zip
from networks.research.releases import list_releases
from networks.research.releases import releases_dir
from tests.factories import MembershipFactory
from tests.factories import ParticipationFactory
from tests.factories import SubNetworkFactory

RELEASED = datetime.date(2025, 3, 1)
TABLES = [
    "cities",
    "networks",
    "memberships",
    "subnetworks",
    "participations",
    "codes",
    "sources",
    "codings",
    "evidence",
    "engagement_observations",
]


@pytest.fixture
def study(db):
    study_load()
    membership = MembershipFactory()
    parent = SubNetworkFactory(network=membership.network)
    SubNetworkFactory(network=membership.network, parent=parent)
    ParticipationFactory(city=membership.city, network=membership.network, subnetwork=parent)


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- Pure parts ------------------------------------------------------------------------


def test_csv_values_are_written_the_way_the_package_declares_them():
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.UTC)

    assert [csv_value(v) for v in (None, True, False, 3, 59.91273, datetime.date(2013, 12, 3), moment)] == [
        "",
        "true",
        "false",
        "3",
        "59.91273",
        "2013-12-03",
        "2024-05-06T07:08:09Z",
    ]


def test_deterministic_zip_gives_the_same_bytes_whatever_the_order_of_files():
    first = deterministic_zip({"b.txt": b"2", "a.txt": b"1"}, date_time=(2025, 3, 1, 0, 0, 0))
    second = deterministic_zip({"a.txt": b"1", "b.txt": b"2"}, date_time=(2025, 3, 1, 0, 0, 0))

    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert [(info.filename, info.date_time) for info in archive.infolist()] == [
            ("a.txt", (2025, 3, 1, 0, 0, 0)),
            ("b.txt", (2025, 3, 1, 0, 0, 0)),
        ]


def test_bibtex_citation_names_the_release_and_its_date():
    entry = citation_bibtex("2025.1", RELEASED, url="https://citynet.example/releases/2025.1")

    assert entry.startswith("@misc{citynet_2025_1,")
    assert "version = {2025.1}" in entry
    assert "year = {2025}" in entry
    assert "\\url{https://citynet.example/releases/2025.1}" in entry


def test_releases_go_to_the_configured_folder(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("CITYNET_RELEASES_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert releases_dir() == tmp_path / "data" / "citynet" / "releases"

    monkeypatch.setenv("CITYNET_RELEASES_DIR", str(tmp_path / "env"))
    assert releases_dir() == tmp_path / "env"

    settings.CITYNET_RELEASES_DIR = tmp_path / "setting"
    assert releases_dir() == tmp_path / "setting"


# --- Building a release ----------------------------------------------------------------


def test_release_has_one_csv_per_table_a_datapackage_a_readme_and_checksums(study, tmp_path):
    release = build_release(label="2025.1", released=RELEASED, directory=tmp_path)

    folder = Path(release["directory"])
    assert folder == tmp_path / "citynet-2025.1"
    assert sorted(path.name for path in (folder / "data").iterdir()) == sorted(f"{name}.csv" for name in TABLES)
    assert {path.name for path in folder.iterdir()} == {"data", "datapackage.json", "README.md", "SHA256SUMS"}
    assert list(release["counts"]) == TABLES
    assert release["counts"]["codings"] == 24
    assert release["counts"]["evidence"] == 35
    assert release["counts"]["subnetworks"] >= 2


def test_release_counts_and_checksums_match_the_files(study, tmp_path):
    release = build_release(label="2025.1", released=RELEASED, directory=tmp_path)
    folder = Path(release["directory"])

    for table, count in release["counts"].items():
        assert len(read_csv(folder / "data" / f"{table}.csv")) == count
    sums = dict(line.split("  ")[::-1] for line in (folder / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == set(release["files"]) == {f"data/{t}.csv" for t in TABLES} | {"datapackage.json", "README.md"}
    for path, checksum in sums.items():
        assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == checksum == release["files"][path]["sha256"]
    assert hashlib.sha256(Path(release["zip"]).read_bytes()).hexdigest() == release["zip_sha256"]


def test_two_builds_of_the_same_data_are_byte_identical(study, tmp_path):
    first = build_release(label="2025.1", released=RELEASED, directory=tmp_path / "first")
    second = build_release(label="2025.1", released=RELEASED, directory=tmp_path / "second")

    assert first["zip_sha256"] == second["zip_sha256"]
    assert first["files"] == second["files"]
    assert Path(first["zip"]).read_bytes() == Path(second["zip"]).read_bytes()


def test_zip_holds_the_bundle_under_its_name_stamped_with_the_release_date(study, tmp_path):
    release = build_release(label="2025.1", released=RELEASED, directory=tmp_path)

    with zipfile.ZipFile(release["zip"]) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert "citynet-2025.1/datapackage.json" in names
        assert {info.date_time for info in archive.infolist()} == {(2025, 3, 1, 0, 0, 0)}


def test_a_release_is_never_overwritten(study, tmp_path):
    build_release(label="2025.1", released=RELEASED, directory=tmp_path)

    with pytest.raises(FileExistsError):
        build_release(label="2025.1", released=RELEASED, directory=tmp_path)


def test_a_release_label_must_be_safe_in_a_file_name(db, tmp_path):
    with pytest.raises(ValueError, match="label"):
        build_release(label="../2025", released=RELEASED, directory=tmp_path)


def test_codings_name_their_city_network_and_code_by_id(study, tmp_path):
    folder = Path(build_release(label="2025.1", released=RELEASED, directory=tmp_path)["directory"])
    cities = {row["id"]: row["name"] for row in read_csv(folder / "data" / "cities.csv")}
    codes = {row["id"]: row["code"] for row in read_csv(folder / "data" / "codes.csv")}

    codings = read_csv(folder / "data" / "codings.csv")
    oslo = [row for row in codings if cities.get(row["city_id"]) == "Oslo" and codes[row["code_id"]] == "knowledge"]

    assert [(row["salience"], row["outcome"], row["perspective"]) for row in oslo] == [("3", "met", "city")]
    assert sum(row["city_id"] == "" for row in codings) == 7  # the networks as a whole
    assert oslo[0]["coded_at"].endswith("Z")


# --- The data package ------------------------------------------------------------------


def test_datapackage_describes_every_column_of_every_table(study, tmp_path):
    folder = Path(build_release(label="2025.1", released=RELEASED, directory=tmp_path)["directory"])
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))

    assert package["profile"] == "tabular-data-package"
    assert (package["name"], package["version"], package["created"]) == (
        "citynet-2025.1",
        "2025.1",
        "2025-03-01T00:00:00Z",
    )
    assert [resource["name"] for resource in package["resources"]] == TABLES
    for resource in package["resources"]:
        with (folder / resource["path"]).open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        fields = resource["schema"]["fields"]
        assert [field["name"] for field in fields] == header
        assert all(field["type"] and field["description"] for field in fields)
        assert resource["schema"]["primaryKey"] == ["id"]
        assert resource["hash"] == f"sha256:{hashlib.sha256((folder / resource['path']).read_bytes()).hexdigest()}"


def test_datapackage_gives_geonames_licence_to_places_and_the_study_as_source_of_codings(study, tmp_path):
    folder = Path(build_release(label="2025.1", released=RELEASED, directory=tmp_path)["directory"])
    resources = {r["name"]: r for r in json.loads((folder / "datapackage.json").read_text())["resources"]}

    assert resources["cities"]["licenses"][0]["name"] == "CC-BY-4.0"
    assert "GeoNames" in resources["cities"]["licenses"][0]["title"]
    assert "Urbane forbindelser" in resources["codings"]["sources"][0]["title"]
    assert {"fields": ["code_id"], "reference": {"resource": "codes", "fields": ["id"]}} in resources["codings"][
        "schema"
    ]["foreignKeys"]


def test_datapackage_and_data_pass_frictionless_validation(study, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    folder = Path(build_release(label="2025.1", released=RELEASED, directory=tmp_path)["directory"])

    report = frictionless.validate(str(folder / "datapackage.json"))

    assert report.valid, report.flatten(["type", "note"])


def test_readme_gives_the_citation_and_the_licences(study, tmp_path):
    release = build_release(
        label="2025.1",
        released=RELEASED,
        directory=tmp_path,
        license={"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/", "title": "CC BY 4.0"},
    )
    readme = (Path(release["directory"]) / "README.md").read_text(encoding="utf-8")

    assert "Citynet contributors. (2025). *Citynet: cities in international city networks* (Release 2025.1)" in readme
    assert "```bibtex\n@misc{citynet_2025_1," in readme
    assert "Creative Commons Attribution 4.0" in readme and "GeoNames" in readme
    assert "Grønnestad" in readme
    assert "[CC BY 4.0](https://creativecommons.org/licenses/by/4.0/)" in readme
    assert release["files"]["data/codings.csv"]["sha256"] in readme


# --- Listing and the command -----------------------------------------------------------


def test_list_releases_reads_the_bundles_newest_first(study, tmp_path):
    build_release(label="2024.2", released=datetime.date(2024, 11, 1), directory=tmp_path)
    build_release(label="2025.1", released=RELEASED, directory=tmp_path)

    releases = list_releases(tmp_path)

    assert [(release["label"], release["released"]) for release in releases] == [
        ("2025.1", "2025-03-01"),
        ("2024.2", "2024-11-01"),
    ]
    assert releases[0]["counts"]["codings"] == 24
    assert releases[0]["zip_sha256"] == hashlib.sha256(Path(releases[0]["zip"]).read_bytes()).hexdigest()
    assert list_releases(tmp_path / "nowhere") == []


def test_make_release_command_writes_the_bundle_and_refuses_to_redo_it(study, tmp_path):
    out = StringIO()

    call_command("make_release", "2025.1", "--date", "2025-03-01", "--output", str(tmp_path), stdout=out)

    assert "Release 2025.1 of 2025-03-01: cities" in out.getvalue()
    assert (tmp_path / "citynet-2025.1.zip").exists()
    # The release is recorded now, so its label is refused before any file is looked at.
    with pytest.raises(CommandError, match="already exists"):
        call_command("make_release", "2025.1", "--date", "2025-03-01", "--output", str(tmp_path))
