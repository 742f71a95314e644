"""The admin's import of coded projects: upload, preview, change the mapping, confirm; who may."""

import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
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


def archive(case_name: str = "Oslo", description: str = "Salience: important") -> bytes:
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
                            "description": description,
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
    assert 'value="oslo@eurocities"' in html and "matched by name and country" in html
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


def test_a_coding_the_project_does_not_rate_comes_in_unrated_and_the_preview_says_so(staff_client, places):
    response = upload(staff_client, archive(description=""))

    html = response.content.decode()
    assert "1 coding comes in not rated" in html and 'value="confirm"' in html
    assert '<option value="" selected>import them not rated (salience left empty)</option>' in html
    staff_client.post(URL, {"token": response.context["token"], "file_name": "study.qdpx", "action": "confirm"})
    coding = Coding.objects.get()
    assert coding.salience is None and "set to" not in coding.note


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


def test_an_upload_left_for_a_day_is_removed_when_the_next_is_kept(staff_client, places):
    kept = qdpx_import.UPLOADS
    old_token = upload(staff_client, archive()).context["token"]
    recent_token = upload(staff_client, archive()).context["token"]
    a_day_ago = time.time() - qdpx_import.ABANDONED_AFTER.total_seconds() - 60
    os.utime(kept / old_token, (a_day_ago, a_day_ago))
    stranger = kept / "not-an-upload.txt"
    stranger.write_text("left alone")
    os.utime(stranger, (a_day_ago, a_day_ago))

    new_token = upload(staff_client, archive()).context["token"]

    assert sorted(path.name for path in kept.iterdir()) == sorted([recent_token, new_token, stranger.name])
    lost = staff_client.post(URL, {"token": old_token, "file_name": "study.qdpx", "action": "confirm"})
    assert "upload it again" in lost.content.decode() and not Coding.objects.exists()


def test_an_upload_previewed_again_is_not_abandoned(staff_client, places):
    token = upload(staff_client, archive()).context["token"]
    a_day_ago = time.time() - qdpx_import.ABANDONED_AFTER.total_seconds() - 60
    os.utime(qdpx_import.UPLOADS / token, (a_day_ago, a_day_ago))

    staff_client.post(URL, {"token": token, "file_name": "study.qdpx", "action": "preview"})
    upload(staff_client, archive())
    staff_client.post(URL, {"token": token, "file_name": "study.qdpx", "action": "confirm"})

    assert Coding.objects.count() == 1


def many_selections(count: int) -> bytes:
    """A project of `count` selections, four to a source (an interview), coded with two codes by
    one user in one case."""
    code_guids = [new_guid("many/knowledge"), new_guid("many/lobbying")]
    sources = []
    for number in range(count // 4):
        passages = [f"Passage {number}.{part}: we learn from the others, item {part}." for part in range(4)]
        text = "\n".join(passages)
        selections = [
            {
                "guid": new_guid(f"many/{number}/{part}"),
                "start": span(text, passage)[0],
                "end": span(text, passage)[1],
                "user": USER.lower(),
                "codes": [code_guids[part % 2]],
                "description": "Salience: important",
            }
            for part, passage in enumerate(passages)
        ]
        guid = new_guid(f"many/source/{number}")
        sources.append({"guid": guid, "name": f"Interview {number + 1}", "text": text, "selections": selections})
    return qdpx(
        *project(
            name="Many selections",
            origin="NVivo 14",
            users=[(USER.lower(), "Nora")],
            codes=[{"guid": code_guids[0], "name": "Knowledge sharing"}, {"guid": code_guids[1], "name": "Lobbying"}],
            cases=[{"guid": CASE.lower(), "name": "Oslo", "sources": [source["guid"] for source in sources]}],
            sources=sources,
        )
    )


@pytest.mark.parametrize("imported_before", [False, True])
def test_the_preview_runs_as_many_queries_for_40_selections_as_for_4(
    staff_client, places, django_assert_max_num_queries, imported_before
):
    CodeFactory(code="lobbying", name="Lobbying")
    small, large = many_selections(4), many_selections(40)
    if imported_before:  # then the codings and evidence are there: the preview finds them unchanged
        token = upload(staff_client, large).context["token"]
        staff_client.post(URL, {"token": token, "file_name": "many.qdpx", "action": "confirm"})
        assert Evidence.objects.count() == 40
    with CaptureQueriesContext(connection) as few:
        assert upload(staff_client, small).context["plan"].problems == []

    # The session and user, the remembered mapping, the codebook, the network, the place, the
    # sources, the coders, the codings and their evidence: each read once, however many selections.
    with django_assert_max_num_queries(len(few)):
        response = upload(staff_client, large)

    assert response.context["plan"].problems == []
    counts = dict(response.context["counts"])
    assert counts.get("evidence unchanged" if imported_before else "evidence created") == 40
