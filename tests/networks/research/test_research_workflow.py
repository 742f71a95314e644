"""The research workflow end to end, as a researcher goes through it with the study's data:
filter the quote table, download it, copy the citation of that view, download the latest
release and validate it, export the codings for QDA software and import the codebook into a
fresh instance, and see agreement once a second coder has coded Oslo in Eurocities."""

import csv
import hashlib
import io
import re
import zipfile
from html import unescape

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from networks.importing.study import study_load
from networks.models import Code
from networks.models import CodebookVersion
from networks.models import Coder
from networks.models import Coding
from networks.models import Evidence
from networks.research.refi import schema_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def study(settings, tmp_path):
    settings.CITYNET_RELEASES_DIR = tmp_path / "releases"
    study_load()


def cite(html: str, name: str) -> str:
    return unescape(re.search(rf'<textarea id="cite-{name}"[^>]*>(.*?)</textarea>', html, re.S).group(1))


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_filter_download_and_cite_the_quote_table(client, study):
    page = client.get("/quotes/?network=eurocities")
    expected = Evidence.objects.filter(coding__network__slug="eurocities").count()

    assert page.context["page"].paginator.count == expected > 0
    assert {row["network"] for row in page.context["rows"]} == {"Eurocities"}
    html = page.content.decode()

    csv_text = body(client.get("/quotes/?network=eurocities&format=csv")).decode()
    rows = list(csv.DictReader(line for line in csv_text.splitlines() if not line.startswith("# ")))
    assert len(rows) == expected and {row["network_slug"] for row in rows} == {"eurocities"}
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/quotes/?network=eurocities&format=xlsx").content))
    assert workbook["quotes"].max_row == 1 + expected

    apa = cite(html, "apa")
    assert apa.startswith("Citynet contributors. (")
    assert "(unreleased working data) [Data set]. Retrieved" in apa
    assert "from http://testserver/quotes/?network=eurocities\n" in apa
    assert "Urbane forbindelser" in apa and "GeoNames" in apa
    assert "howpublished = {\\url{http://testserver/quotes/?network=eurocities}}" in cite(html, "bibtex")


def test_make_download_and_validate_a_release_then_cite_it(client, study, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    call_command("make_release", "2025.1", "--date", "2025-03-01", stdout=io.StringIO())

    listing = client.get(reverse("networks:release_list")).content.decode()
    link = re.search(r'href="(/releases/[^"]+/download/)"', listing).group(1)
    checksum = re.search(r'<code class="checksum">([0-9a-f]{64})</code>', listing).group(1)
    content = body(client.get(link))

    assert hashlib.sha256(content).hexdigest() == checksum
    zipfile.ZipFile(io.BytesIO(content)).extractall(tmp_path / "bundle")
    report = frictionless.validate(str(tmp_path / "bundle" / "citynet-2025.1" / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    apa = cite(client.get("/quotes/?network=eurocities").content.decode(), "apa")
    assert "(Release 2025.1) [Data set]" in apa


def test_export_the_codings_and_import_the_codebook_into_a_fresh_instance(client, study, tmp_path):
    project = client.get("/export/project.qdpx")
    with zipfile.ZipFile(io.BytesIO(project.content)) as archive:
        assert schema_errors(archive.read("project.qde"), schema="project") == []
    codebook = tmp_path / "citynet-codebook.qdc"
    codebook.write_bytes(client.get("/export/codebook.qdc").content)
    codes = list(Code.objects.current().order_by("code").values_list("code", "name", "kind", "definition"))
    Evidence.objects.all().delete()
    Coding.objects.all().delete()
    Code.objects.all().delete()
    CodebookVersion.objects.all().delete()

    call_command("import_qdc", str(codebook), stdout=io.StringIO())

    assert list(Code.objects.current().order_by("code").values_list("code", "name", "kind", "definition")) == codes


def test_agreement_shows_once_a_second_coder_codes_oslo_in_eurocities(client, study):
    second = Coder.objects.create(name="Second coder")
    # The second coder reads Oslo's use of Eurocities as the seed coding does, except that
    # knowledge sharing is important (2), not central (3).
    for coding in Coding.objects.filter(city__slug="oslo", network__slug="eurocities").select_related("code"):
        Coding.objects.create(
            city=coding.city,
            network=coding.network,
            code=coding.code,
            salience=2 if coding.code.code == "knowledge" else coding.salience,
            outcome=coding.outcome,
            perspective=coding.perspective,
            coder=second,
        )

    compare = client.get("/compare/?network=eurocities")
    agreement = client.get("/agreement/?network=eurocities")

    oslo = next(row for row in compare.context["grid"]["rows"] if row["city"]["slug"] == "oslo")
    status = {cell["code"]: cell["cell"]["agreement"]["status"] for cell in oslo["cells"] if cell["cell"]}
    assert status == {
        "representation": "agreed",
        "knowledge": "disputed",
        "promotion": "agreed",
        "appropriateness": "agreed",
    }
    assert compare.context["agreement_counts"]["disputed"] == 1
    summary = agreement.context["summary"]
    assert summary["cases"] == 1 and summary["overall"]["units"] > 0
    assert [item["code"] for item in summary["disagreements"]] == ["knowledge"]
    assert "Krippendorff's α" in agreement.content.decode()
