"""The admin's import of coded projects: upload, preview, change the mapping, confirm; who may."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from networks.admin import qdpx_import
from networks.models import Coding
from networks.models import Evidence
from networks.models import ProjectImportMapping
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import CoderFactory
from tests.factories import NetworkFactory
from tests.networks.research.qdpx_projects import new_guid
from tests.networks.research.qdpx_projects import project
from tests.networks.research.qdpx_projects import qdpx
from tests.networks.research.qdpx_projects import span
from tests.networks.research.test_qdpx_import_hostile import LAUGHS

pytestmark = pytest.mark.django_db
URL = reverse("admin:networks_projectimportmapping_import")
CASE = new_guid("adm/case").upper()
USER = new_guid("adm/user").upper()


@pytest.fixture(autouse=True)
def uploads(tmp_path, monkeypatch):
    monkeypatch.setattr(qdpx_import, "UPLOADS", tmp_path / "uploads")


@pytest.fixture
def places():
    NetworkFactory(name="Eurocities", slug="eurocities")
    CityFactory(name="Oslo", slug="oslo")
    CityFactory(name="Springfield", slug="springfield-us", country="US")
    CityFactory(name="Springfield", slug="springfield-au", country="AU")
    return {"knowledge": CodeFactory(code="knowledge", name="Knowledge sharing")}


def archive(case_name: str = "Oslo") -> bytes:
    text = "Interview 4. The officer: we learn from the others every month."
    start, end = span(text, "we learn from the others every month.")
    code, source = new_guid("adm/code"), new_guid("adm/source")
    return qdpx(
        *project(
            name="Admin study",
            origin="NVivo 14",
            users=[(USER.lower(), "Nora")],
            codes=[{"guid": code, "name": "Knowledge sharing"}],
            cases=[{"guid": CASE.lower(), "name": case_name, "sources": [source]}],
            sources=[
                {
                    "guid": source,
                    "name": "Interview 4",
                    "text": text,
                    "selections": [
                        {
                            "guid": new_guid("adm/sel"),
                            "start": start,
                            "end": end,
                            "user": USER.lower(),
                            "codes": [code],
                            "description": "Salience: important",
                        }
                    ],
                }
            ],
        )
    )


def upload(client, data: bytes, name: str = "study.qdpx"):
    return client.post(URL, {"project_file": SimpleUploadedFile(name, data)})


def test_upload_shows_the_preview_and_writes_nothing(staff_client, places):
    response = upload(staff_client, archive())

    assert response.status_code == 200
    html = response.content.decode()
    assert "Admin study" in html and "from NVivo 14" in html and 'class="qdpx-valid"' in html
    assert "<li>1 codings created</li>" in html and "<li>1 evidence created</li>" in html
    assert 'value="oslo@eurocities"' in html and "exact place name" in html
    assert 'value="confirm"' in html
    assert not Coding.objects.exists() and not ProjectImportMapping.objects.exists()


def test_confirm_imports_the_project_and_remembers_the_mapping(staff_client, places):
    token = upload(staff_client, archive()).context["token"]

    response = staff_client.post(URL, {"token": token, "file_name": "study.qdpx", "action": "confirm"})

    assert response.status_code == 302
    coding = Coding.objects.get()
    assert (coding.city.slug, coding.salience, coding.coder.name) == ("oslo", 2, "Nora")
    item = Evidence.objects.get()
    assert item.text == "we learn from the others every month." and item.visibility == "restricted"
    assert ProjectImportMapping.objects.get().project_name == "Admin study"
    assert coding.history.first().history_user is not None


def test_an_ambiguous_place_is_chosen_in_the_preview_and_remembered(staff_client, places):
    response = upload(staff_client, archive(case_name="Springfield"))
    assert "2 places are named &#x27;Springfield&#x27;" in response.content.decode()
    assert 'value="confirm"' not in response.content.decode()
    token = response.context["token"]
    choice = {f"cell-case:{CASE}": "springfield-au@eurocities", "token": token, "file_name": "study.qdpx"}

    again = staff_client.post(URL, {**choice, "action": "preview"})
    assert again.context["plan"].problems == []
    staff_client.post(URL, {**choice, "action": "confirm"})

    assert Coding.objects.get().city.slug == "springfield-au"
    Coding.objects.all().delete()
    # next import of the same project: the choice is already made
    assert upload(staff_client, archive(case_name="Springfield")).context["plan"].problems == []


def test_the_editor_can_set_visibility_and_code_in_the_preview(staff_client, places):
    other = CodeFactory(code="lobbying", name="Lobbying")
    token = upload(staff_client, archive()).context["token"]

    staff_client.post(
        URL,
        {
            "token": token,
            "file_name": "study.qdpx",
            f"code-{new_guid('adm/code').upper()}": str(other.pk),
            "visibility": "public",
            "action": "confirm",
        },
    )

    assert Coding.objects.get().code == other
    assert Evidence.objects.get().visibility == "public"


def test_a_hostile_file_gets_a_message_not_a_server_error(staff_client, places):
    response = upload(staff_client, LAUGHS, name="project.qde")

    assert response.status_code == 200
    assert "declares a DTD or entities" in response.content.decode()
    assert not Coding.objects.exists()


def test_a_lost_upload_asks_for_the_file_again(staff_client, places):
    response = staff_client.post(URL, {"token": "../../etc/passwd", "action": "confirm"})

    assert response.status_code == 200 and "upload it again" in response.content.decode()


def test_staff_without_the_right_to_add_codings_and_evidence_may_not_import(client, read_only_staff, places):
    client.force_login(read_only_staff)

    assert client.get(URL).status_code == 403
    assert upload(client, archive()).status_code == 403
    assert not Coding.objects.exists()


def test_an_editor_imports_but_maps_users_to_existing_coders(client, editor, places):
    client.force_login(editor)
    CoderFactory(name="Nora B.")
    response = upload(client, archive())
    assert "only an administrator may add coders" in response.content.decode()
    token = response.context["token"]

    client.post(URL, {"token": token, "file_name": "s.qdpx", f"coder-{USER}": "Nora B.", "action": "confirm"})

    assert Coding.objects.get().coder.name == "Nora B."


def test_the_changelist_links_to_the_import_for_those_who_may(staff_client, places):
    response = staff_client.get(reverse("admin:networks_projectimportmapping_changelist"))

    assert URL in response.content.decode()
