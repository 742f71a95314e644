"""REFI-QDA downloads on the site: /export/codebook.qdc and /export/project.qdpx."""

import io
import zipfile

import pytest
from django.urls import reverse
from lxml import etree

from networks.importing.study import study_load
from networks.models import Code
from networks.models import CodebookVersion
from networks.models import Coding
from networks.models import Evidence
from networks.research.refi import PROJECT_NAMESPACE
from networks.research.refi import codebook_import_qdc
from networks.research.refi import read_qdc
from networks.research.refi import schema_errors

pytestmark = pytest.mark.django_db

P = f"{{{PROJECT_NAMESPACE}}}"


@pytest.fixture
def study():
    study_load()


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_codebook_download_is_a_valid_qdc_of_the_current_codebook(client, study):
    response = client.get(reverse("networks:codebook_qdc"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="citynet-codebook.qdc"'
    assert schema_errors(response.content, schema="codebook") == []
    assert {code["code"] for code in read_qdc(response.content)} == set(
        Code.objects.current().values_list("code", flat=True)
    )


def test_codebook_download_imports_into_a_fresh_instance(client, study):
    document = client.get(reverse("networks:codebook_qdc")).content
    before = list(Code.objects.current().order_by("code").values_list("code", "name", "kind", "definition"))
    # A fresh instance: no codings, no codebook.
    Evidence.objects.all().delete()
    Coding.objects.all().delete()
    Code.objects.all().delete()
    CodebookVersion.objects.all().delete()

    report = codebook_import_qdc(data=document)

    assert len(report["created"]) == len(before)
    assert list(Code.objects.order_by("code").values_list("code", "name", "kind", "definition")) == before


def test_codebook_download_without_a_codebook_is_404(client):
    assert client.get(reverse("networks:codebook_qdc")).status_code == 404


def test_project_download_is_a_qdpx_with_a_valid_project_qde(client, study):
    response = client.get(reverse("networks:project_qdpx"))

    files = unzip(response.content)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="citynet-project.qdpx"'
    assert "project.qde" in files and any(name.startswith("sources/") for name in files)
    assert schema_errors(files["project.qde"], schema="project") == []


def test_project_download_keeps_to_the_network_and_cities_asked_for(client, study):
    response = client.get(reverse("networks:project_qdpx"), {"network": "eurocities", "city": "oslo"})

    root = etree.fromstring(unzip(response.content)["project.qde"])
    cases = [case.get("name") for case in root.iter(f"{P}Case")]
    assert response["Content-Disposition"] == 'attachment; filename="citynet-project-eurocities.qdpx"'
    assert cases and all("Oslo" in name and "Eurocities" in name for name in cases)
    oslo_evidence = Evidence.objects.filter(coding__city__slug="oslo", coding__network__slug="eurocities").count()
    assert len(list(root.iter(f"{P}PlainTextSelection"))) == oslo_evidence


def test_project_download_of_nothing_or_an_unknown_network_is_404(client, study):
    assert client.get(reverse("networks:project_qdpx"), {"network": "atlantis"}).status_code == 404
    assert client.get(reverse("networks:project_qdpx"), {"city": "nowhere"}).status_code == 404


def test_comparison_page_links_the_refi_downloads_with_its_filters(client, study):
    html = client.get(reverse("networks:compare"), {"network": "eurocities", "city": ["oslo", "copenhagen"]})
    html = html.content.decode()

    assert 'href="/export/codebook.qdc"' in html
    assert 'href="/export/project.qdpx?network=eurocities&amp;city=oslo&amp;city=copenhagen"' in html
