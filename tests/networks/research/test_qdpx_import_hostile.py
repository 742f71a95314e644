"""Hostile and broken project files are refused with a message that names the problem, and
nothing is written."""

import io
import stat
import zipfile
from io import StringIO

import pytest
from django.core.management import CommandError
from django.core.management import call_command

from networks.models import Coding
from networks.models import Source
from networks.research.qdpx_import import reading
from tests.factories import CityFactory
from tests.factories import CodeFactory
from tests.factories import NetworkFactory
from tests.networks.research.qdpx_projects import new_guid
from tests.networks.research.qdpx_projects import project
from tests.networks.research.qdpx_projects import qdpx
from tests.networks.research.qdpx_projects import span

pytestmark = pytest.mark.django_db

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Project [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol3;"/>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE Project [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&secret;"/>"""
DOCTYPE = b"""<?xml version="1.0"?>
<!DOCTYPE Project SYSTEM "http://example.org/project.dtd">
<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>"""


def small_project() -> tuple[bytes, dict]:
    text = "Oslo shares knowledge."
    start, end = span(text, "shares knowledge")
    code, user = new_guid("h/code"), new_guid("h/user")
    return project(
        users=[(user, "Kari")],
        codes=[{"guid": code, "name": "Knowledge"}],
        cases=[{"guid": new_guid("h/case"), "name": "Oslo", "sources": [new_guid("h/source")]}],
        sources=[
            {
                "guid": new_guid("h/source"),
                "name": "Report",
                "text": text,
                "selections": [
                    {
                        "guid": new_guid("h/sel"),
                        "start": start,
                        "end": end,
                        "user": user,
                        "codes": [code],
                        "description": "salience 2",
                    }
                ],
            }
        ],
    )


@pytest.fixture(autouse=True)
def places(db):
    NetworkFactory(slug="eurocities")
    CityFactory(name="Oslo", slug="oslo")
    CodeFactory(name="Knowledge")


def refused(tmp_path, data: bytes, name: str = "project.qdpx") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CommandError) as error:
        call_command("import_qdpx", str(path), stdout=StringIO())
    assert not Coding.objects.exists() and not Source.objects.exists()
    return str(error.value)


def zipped(members: dict[str, bytes], *, symlink: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "xml, message",
    [
        (LAUGHS, "declares a DTD or entities"),
        (EXTERNAL, "declares a DTD or entities"),
        (DOCTYPE, "declares a DTD or entities"),
        (b"<Project", "not well-formed XML"),
        (b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>', "not a REFI-QDA 1.0 project: its root is 'CodeBook'"),
    ],
    ids=["entity-expansion", "external-entity", "dtd", "not-xml", "codebook-not-project"],
)
def test_xml_attacks_and_non_projects_are_refused(tmp_path, xml, message):
    assert message in refused(tmp_path, xml, name="project.qde")
    assert message in refused(tmp_path, zipped({"project.qde": xml}))


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/cron.d/evil", "sources\\..\\evil.txt", "C:/evil.txt"], ids=str)
def test_archive_members_with_unsafe_paths_are_refused(tmp_path, member):
    xml, files = small_project()

    message = refused(tmp_path, zipped({"project.qde": xml, **files, member: b"x"}))

    assert f"unsafe path: {member!r}" in message


def test_archive_with_a_symbolic_link_is_refused(tmp_path):
    xml, files = small_project()

    assert "symbolic link" in refused(tmp_path, zipped({"project.qde": xml, **files}, symlink="sources/link.txt"))


def test_source_path_leaving_the_archive_is_refused(tmp_path):
    xml, files = small_project()
    xml = xml.replace(b"internal://", b"internal://../../")

    assert "points at an unsafe path: 'internal://../../" in refused(tmp_path, zipped({"project.qde": xml, **files}))


def test_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    xml, files = small_project()

    message = refused(tmp_path, zipped({"project.qde": xml, **files, "sources/big.txt": b"\0" * (3 * 1024 * 1024)}))

    assert "packed" in message and "a zip bomb is refused" in message


@pytest.mark.parametrize(
    "limit, value, message",
    [
        ("MAX_MEMBERS", 2, "The archive has 3 files; the limit is 2."),
        ("MAX_UNCOMPRESSED", 10, "The archive unpacks to 0.0 MB; the limit is 0 MB."),
        ("MAX_UPLOAD", 10, "the limit is 0 MB."),
        ("MAX_SELECTIONS", 0, "The project has 1 selections; the limit is 0."),
    ],
)
def test_size_limits_are_stated_when_hit(tmp_path, monkeypatch, limit, value, message):
    monkeypatch.setattr(reading, limit, value)
    xml, files = small_project()

    assert message in refused(tmp_path, zipped({"project.qde": xml, **files, "extra.txt": b"x"}))


def test_qdpx_that_is_not_a_zip_is_refused(tmp_path):
    assert "not a zip archive" in refused(tmp_path, b"just text")


def test_source_text_that_is_not_utf8_is_refused(tmp_path):
    xml, files = small_project()
    files = {name: data.decode().encode("utf-16") for name, data in files.items()}

    assert "is not UTF-8 text" in refused(tmp_path, qdpx(xml, files))


def test_missing_source_file_is_named(tmp_path):
    xml, _files = small_project()

    assert f"sources/{new_guid('h/source')}.txt is missing from the archive" in refused(tmp_path, qdpx(xml, {}))


def test_schema_problems_are_shown_and_a_readable_project_still_imports(tmp_path):
    xml, files = small_project()
    xml = xml.replace(b'isCodable="true"', b"")  # the schema requires isCodable
    path = tmp_path / "project.qdpx"
    path.write_bytes(qdpx(xml, files))
    out = StringIO()

    call_command("import_qdpx", str(path), stdout=out)

    assert "Schema (REFI-QDA 1.0 Project): 1 problems, imported as far as readable:" in out.getvalue()
    assert "isCodable" in out.getvalue()
    assert Coding.objects.get().salience == 2
