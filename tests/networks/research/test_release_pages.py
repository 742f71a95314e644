"""Data releases on the site: release_create, make_release's Release row, /releases/, the
download, the admin and /api/v1/releases/."""

import datetime
import hashlib
import io
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from networks.models import Release
from networks.services import release_create
from tests.factories import CodingFactory
from tests.factories import EvidenceFactory
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

RELEASED = datetime.date(2025, 3, 1)


@pytest.fixture
def releases_dir(settings, tmp_path):
    settings.CITYNET_RELEASES_DIR = tmp_path
    return tmp_path


@pytest.fixture
def data(db):
    MembershipFactory()
    EvidenceFactory(coding=CodingFactory())


def downloaded(response) -> bytes:
    return b"".join(response.streaming_content)


def test_release_create_writes_the_bundle_and_records_it(releases_dir, data):
    release = release_create(label="2025.1", released=RELEASED, description="First release.")

    release.refresh_from_db()
    zip_path = releases_dir / "citynet-2025.1.zip"
    assert release.zip_path == str(zip_path)
    assert release.zip_sha256 == hashlib.sha256(zip_path.read_bytes()).hexdigest()
    assert release.counts["memberships"] == 1 and release.counts["evidence"] == 1
    assert set(release.files) >= {"data/codings.csv", "datapackage.json", "README.md"}
    assert (release.file_name, release.description) == ("citynet-2025.1.zip", "First release.")


def test_release_create_refuses_a_taken_label_before_writing_anything(releases_dir, data):
    release_create(label="2025.1", released=RELEASED)
    (releases_dir / "citynet-2025.1.zip").unlink()

    with pytest.raises(ValidationError, match="already exists"):
        release_create(label="2025.1", released=RELEASED)

    assert not (releases_dir / "citynet-2025.1.zip").exists()
    assert Release.objects.count() == 1


def test_release_create_refuses_an_unsafe_label(releases_dir, data):
    with pytest.raises(ValidationError):
        release_create(label="../2025", released=RELEASED)

    assert list(releases_dir.iterdir()) == []


def test_release_create_removes_the_files_if_the_row_cannot_be_saved(releases_dir, data, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Release, "save", broken_save)

    with pytest.raises(RuntimeError):
        release_create(label="2025.1", released=RELEASED)

    assert list(releases_dir.iterdir()) == []


def test_make_release_command_records_the_release(releases_dir, data):
    out = StringIO()

    call_command("make_release", "2025.1", "--date", "2025-03-01", "--description", "Spring.", stdout=out)

    release = Release.objects.get()
    assert (release.label, release.released, release.description) == ("2025.1", RELEASED, "Spring.")
    assert f"sha256 {release.zip_sha256}" in out.getvalue()


# --- /releases/ --------------------------------------------------------------------------


def test_release_page_lists_releases_newest_first_with_counts_and_checksums(client, releases_dir, data):
    older = release_create(label="2024.2", released=datetime.date(2024, 11, 1))
    newer = release_create(label="2025.1", released=RELEASED)

    response = client.get(reverse("networks:release_list"))

    html = response.content.decode()
    assert [entry["release"].label for entry in response.context["releases"]] == ["2025.1", "2024.2"]
    assert html.index("Release 2025.1") < html.index("Release 2024.2")
    assert newer.zip_sha256 in html and older.zip_sha256 in html
    assert 'href="/releases/2025.1/download/"' in html
    assert "memberships 1" in html
    assert "(Release 2025.1) [Data set]. http://testserver/releases/2025.1/download/" in html


def test_release_page_without_releases_says_how_to_make_one(client):
    html = client.get(reverse("networks:release_list")).content.decode()

    assert "No release has been made yet" in html and "manage.py make_release" in html


def test_release_page_runs_three_queries_however_many_releases(client, django_assert_num_queries, releases_dir):
    for number in range(5):
        Release.objects.create(
            label=f"2025.{number}", released=RELEASED, zip_path=f"/x/{number}.zip", zip_sha256="0" * 64
        )
    # the releases, then for "Cite this view" the newest release and the study's citation
    with django_assert_num_queries(3):
        client.get(reverse("networks:release_list"))


def test_release_download_serves_the_recorded_zip(client, releases_dir, data):
    release = release_create(label="2025.1", released=RELEASED)

    response = client.get(reverse("networks:release_download", args=["2025.1"]))

    content = downloaded(response)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="citynet-2025.1.zip"'
    assert hashlib.sha256(content).hexdigest() == release.zip_sha256
    assert "citynet-2025.1/datapackage.json" in zipfile.ZipFile(io.BytesIO(content)).namelist()


@pytest.mark.parametrize("label", ["2099.1", "..", "%2e%2e", "..%2F..%2Fetc"])
def test_release_download_serves_only_recorded_releases(client, releases_dir, data, label):
    release_create(label="2025.1", released=RELEASED)

    assert client.get(f"/releases/{label}/download/").status_code == 404


def test_release_download_of_a_missing_file_is_404(client, releases_dir, data):
    release_create(label="2025.1", released=RELEASED)
    (releases_dir / "citynet-2025.1.zip").unlink()

    assert client.get(reverse("networks:release_download", args=["2025.1"])).status_code == 404


def test_downloaded_release_is_a_valid_data_package(client, releases_dir, data, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    release_create(label="2025.1", released=RELEASED)
    content = downloaded(client.get(reverse("networks:release_download", args=["2025.1"])))
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(io.BytesIO(content)).extractall(unpacked)

    report = frictionless.validate(str(unpacked / "citynet-2025.1" / "datapackage.json"))

    assert report.valid, report.flatten(["type", "note"])


# --- Admin and API -----------------------------------------------------------------------


def test_admin_lists_releases_read_only(staff_client, releases_dir, data):
    release = release_create(label="2025.1", released=RELEASED)

    assert "2025.1" in staff_client.get("/admin/networks/release/").content.decode()
    assert staff_client.get("/admin/networks/release/add/").status_code == 403
    staff_client.post(f"/admin/networks/release/{release.pk}/change/", {"label": "changed", "released": "2025-01-01"})
    staff_client.post(f"/admin/networks/release/{release.pk}/delete/", {"post": "yes"})
    assert Release.objects.get().label == "2025.1"


def test_release_api_lists_releases_with_download_and_citation(client, releases_dir, data):
    release = release_create(label="2025.1", released=RELEASED)

    body = client.get("/api/v1/releases/").json()

    assert body["count"] == 1
    item = body["results"][0]
    assert (item["label"], item["released"], item["zip_sha256"]) == ("2025.1", "2025-03-01", release.zip_sha256)
    assert item["download"] == "http://testserver/releases/2025.1/download/"
    assert item["counts"]["memberships"] == 1
    assert item["citation_bibtex"].startswith("@misc{citynet_2025_1,")
    assert client.get("/api/v1/releases/2025.1/").json()["label"] == "2025.1"
    assert body["citation"]["release"] == "2025.1"


def test_release_api_is_read_only(staff_client, releases_dir, data):
    release_create(label="2025.1", released=RELEASED)

    assert staff_client.post("/api/v1/releases/", {"label": "x"}, content_type="application/json").status_code == 405
    assert staff_client.delete("/api/v1/releases/2025.1/").status_code == 405
    assert Release.objects.count() == 1


def test_release_api_runs_five_queries(client, django_assert_num_queries, releases_dir):
    for number in range(5):
        Release.objects.create(
            label=f"2025.{number}", released=RELEASED, zip_path=f"/x/{number}.zip", zip_sha256="0" * 64
        )
    # the count, the page's ids, the page of releases, the study's citation for `attribution`, the newest
    # release for `citation`
    with django_assert_num_queries(5):
        assert len(client.get("/api/v1/releases/").json()["results"]) == 5


def test_releases_setting_points_at_the_folder_it_serves(releases_dir, data):
    release = release_create(label="2025.1", released=RELEASED)

    assert Path(release.zip_path).parent == releases_dir
