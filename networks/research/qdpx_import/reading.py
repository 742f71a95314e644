"""Reading a REFI-QDA project safely: the .qdpx archive or bare project.qde, the XML, the
schema check, and the project as plain data (no database).

Limits (each refusal names the limit it hit):
- an upload of at most MAX_UPLOAD bytes; a .qdpx of at most MAX_MEMBERS members, none
  with an absolute path, a drive letter, a backslash or a `..` part, and none a symbolic
  link; at most MAX_UNCOMPRESSED bytes unpacked in all, MAX_MEMBER for project.qde or one
  source text, and no member packed more than MAX_RATIO times (a zip bomb);
- project.qde with no DOCTYPE, no entity declaration and no external reference (XML
  bombs and external entities; defusedxml checks first, then lxml parses with entities,
  DTDs and the network off);
- at most MAX_SELECTIONS selections.
"""

import io
import re
import zipfile
from dataclasses import dataclass
from dataclasses import field
from pathlib import PurePosixPath

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from lxml import etree

from networks.research.refi import PROJECT_NAMESPACE
from networks.research.refi import schema_errors

MEGABYTE = 1024 * 1024
MAX_UPLOAD = 50 * MEGABYTE
MAX_MEMBERS = 5000
MAX_UNCOMPRESSED = 200 * MEGABYTE
MAX_MEMBER = 20 * MEGABYTE
MAX_RATIO = 100
MAX_SELECTIONS = 100_000
LIMITS = (
    f"a file of at most {MAX_UPLOAD // MEGABYTE} MB; a .qdpx of at most {MAX_MEMBERS} files, "
    f"{MAX_UNCOMPRESSED // MEGABYTE} MB unpacked, {MAX_MEMBER // MEGABYTE} MB for project.qde or one source text, "
    f"none packed more than {MAX_RATIO} times; at most {MAX_SELECTIONS:,} selections"
)
GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
# Media and regions Citynet's evidence (a text passage) cannot hold.
NOT_CARRIED = {
    "PDFSelection": "PDF region",
    "PictureSelection": "picture region",
    "AudioSelection": "audio segment",
    "VideoSelection": "video segment",
    "TranscriptSelection": "transcript segment (time-synchronised)",
}


class ProjectRefused(Exception):
    """The file cannot be imported at all; the message says why, in plain words."""


@dataclass
class ProjectCode:
    guid: str
    name: str
    path: str  # parent names and its own, joined by " \\ " (MAXQDA nests codes)
    description: str
    codable: bool


@dataclass
class ProjectCoding:
    code: str  # the code's GUID
    user: str  # the coding user's GUID, or ""
    created: str
    notes: list[str] = field(default_factory=list)


@dataclass
class ProjectSelection:
    guid: str
    source: str
    start: int
    end: int
    user: str
    created: str
    description: str
    notes: list[str]
    codings: list[ProjectCoding]


@dataclass
class ProjectSource:
    guid: str
    name: str
    description: str
    text: str | None
    variables: dict[str, str]
    element: str  # TextSource, or PDFSource for a PDF's text representation


@dataclass
class ProjectCase:
    guid: str
    name: str
    description: str
    variables: dict[str, str]
    sources: list[str]
    selections: list[str]
    kind: str = "case"  # or "set"


@dataclass
class Project:
    name: str
    origin: str
    key: str  # what a remembered mapping is keyed on
    users: dict[str, str]
    codes: dict[str, ProjectCode]
    sources: dict[str, ProjectSource]
    selections: list[ProjectSelection]
    cases: list[ProjectCase]
    not_carried: list[dict]
    schema_errors: list[str]
    problems: list[str]  # why the project cannot be imported as it is

    @property
    def is_citynet(self) -> bool:
        return self.origin.startswith("Citynet")


def normal_guid(value: str | None) -> str:
    """A GUID as Citynet compares them: upper case, without braces ('' if not one)."""
    found = GUID.match((value or "").strip())
    return found.group(1).upper() if found else ""


def read_upload(data: bytes, *, file_name: str = "") -> Project:
    """The project in an uploaded .qdpx (zip) or bare project.qde. Raises ProjectRefused."""
    if len(data) > MAX_UPLOAD:
        raise ProjectRefused(f"The file is {len(data) / MEGABYTE:.1f} MB; the limit is {MAX_UPLOAD // MEGABYTE} MB.")
    if data[:4] == b"PK\x03\x04":
        xml, files = _unpack(data)
    elif file_name.lower().endswith(".qdpx"):
        raise ProjectRefused("The .qdpx file is not a zip archive: export the project again from your tool.")
    else:
        xml, files = data, None
    return read_project(xml, files)


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not (
        "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in path.parts or "\x00" in name
    )


def _unpack(data: bytes) -> tuple[bytes, "Archive"]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise ProjectRefused(f"The .qdpx archive cannot be opened ({error}).") from error
    if len(members) > MAX_MEMBERS:
        raise ProjectRefused(f"The archive has {len(members)} files; the limit is {MAX_MEMBERS}.")
    total = 0
    for member in members:
        if not _safe_member_name(member.filename):
            raise ProjectRefused(f"The archive holds a file with an unsafe path: {member.filename!r}.")
        if (member.external_attr >> 16) & 0o170000 == 0o120000:
            raise ProjectRefused(f"The archive holds a symbolic link: {member.filename!r}.")
        total += member.file_size
        if member.file_size > MAX_MEMBER:
            raise ProjectRefused(
                f"{member.filename} unpacks to {member.file_size / MEGABYTE:.1f} MB; "
                f"the limit is {MAX_MEMBER // MEGABYTE} MB."
            )
        if member.file_size > MEGABYTE and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise ProjectRefused(
                f"{member.filename} is packed {member.file_size // max(member.compress_size, 1)} times smaller "
                f"than it unpacks (limit {MAX_RATIO}): a zip bomb is refused."
            )
    if total > MAX_UNCOMPRESSED:
        raise ProjectRefused(
            f"The archive unpacks to {total / MEGABYTE:.1f} MB; the limit is {MAX_UNCOMPRESSED // MEGABYTE} MB."
        )
    files = Archive(archive)
    project = [m.filename for m in members if m.filename.lower() in ("project.qde",)]
    if not project:
        found = [m.filename for m in members if m.filename.lower().endswith(".qde")]
        if len(found) != 1:
            raise ProjectRefused("The .qdpx archive has no project.qde at its top level.")
        project = found
    return files.read(project[0]), files


class Archive:
    """The members of a checked .qdpx, read with a cap however large they say they are."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.names = {member.filename.casefold(): member.filename for member in archive.infolist()}

    def read(self, name: str) -> bytes:
        real = self.names.get(name.casefold())
        if real is None:
            raise KeyError(name)
        try:
            with self.archive.open(real) as opened:
                data = opened.read(MAX_MEMBER + 1)
        except (zipfile.BadZipFile, OSError, ValueError, RuntimeError) as error:
            raise ProjectRefused(f"{real} in the archive cannot be read ({error}).") from error
        if len(data) > MAX_MEMBER:
            raise ProjectRefused(f"{real} unpacks to more than {MAX_MEMBER // MEGABYTE} MB.")
        return data


def parse_xml(xml: bytes) -> etree._Element:
    """project.qde parsed safely; raises ProjectRefused for anything with a DTD or entities."""
    if len(xml) > MAX_MEMBER:
        raise ProjectRefused(f"project.qde is over {MAX_MEMBER // MEGABYTE} MB.")
    try:
        SafeElementTree.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise ProjectRefused(
            f"project.qde declares a DTD or entities ({type(error).__name__}); REFI-QDA projects have none, "
            "and they are refused because they can expand without end or read files and URLs."
        ) from error
    except SafeElementTree.ParseError as error:
        raise ProjectRefused(f"project.qde is not well-formed XML: {error}.") from error
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise ProjectRefused(f"project.qde is not well-formed XML: {error}.") from error
    if root.getroottree().docinfo.doctype:
        raise ProjectRefused("project.qde has a DOCTYPE; REFI-QDA projects have none.")
    if root.tag != f"{{{PROJECT_NAMESPACE}}}Project":
        raise ProjectRefused(
            f"project.qde is not a REFI-QDA 1.0 project: its root is {etree.QName(root).localname!r} "
            f"in namespace {etree.QName(root).namespace!r}, not Project in {PROJECT_NAMESPACE}."
        )
    return root


def _text(element: etree._Element | None, name: str) -> str:
    found = element.find(f"{{*}}{name}") if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def _variables(element: etree._Element, names: dict[str, str]) -> dict[str, str]:
    values = {}
    for value in element.iterfind("{*}VariableValue"):
        ref = value.find("{*}VariableRef")
        name = names.get(normal_guid(ref.get("targetGUID") if ref is not None else ""))
        given = [child.text for child in value if etree.QName(child).localname != "VariableRef" and child.text]
        if name and given:
            values[name] = given[0].strip()
    return values


def _source_text(element: etree._Element, files: Archive | None, problems: list[str]) -> str | None:
    name = element.get("name") or element.get("guid")
    content = element.find("{*}PlainTextContent")
    if content is not None:
        return content.text or ""
    path = (element.get("plainTextPath") or "").strip()
    if not path:
        return None
    if not path.startswith("internal://"):
        problems.append(f"Source {name!r}: its text is outside the project ({path}); export it as a .qdpx.")
        return None
    member = path.removeprefix("internal://")
    if files is None:
        problems.append(f"Source {name!r}: its text is in sources/{member}; upload the .qdpx, not project.qde alone.")
        return None
    if not _safe_member_name(member):
        raise ProjectRefused(f"Source {name!r} points at an unsafe path: {path!r}.")
    try:
        data = files.read(f"sources/{member}")
    except KeyError:
        problems.append(f"Source {name!r}: sources/{member} is missing from the archive.")
        return None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        problems.append(f"Source {name!r}: sources/{member} is not UTF-8 text (byte {error.start}).")
        return None


def _notes(root: etree._Element, files: Archive | None) -> dict[str, str]:
    notes = {}
    for note in root.iterfind("{*}Notes/{*}Note"):
        text = _source_text(note, files, []) or _text(note, "Description")
        notes[normal_guid(note.get("guid"))] = text.strip()
    return notes


def _note_texts(element: etree._Element, notes: dict[str, str]) -> list[str]:
    refs = (normal_guid(ref.get("targetGUID")) for ref in element.iterfind("{*}NoteRef"))
    return [notes[ref] for ref in refs if notes.get(ref)]


def read_project(xml: bytes, files: Archive | None = None) -> Project:
    """The project as plain data; `files` are the .qdpx's members (None for a bare .qde)."""
    root = parse_xml(xml)
    errors = schema_errors(xml, schema="project")
    problems: list[str] = []
    users = {normal_guid(u.get("guid")): (u.get("name") or u.get("id") or "").strip() for u in root.iter("{*}User")}
    codes: dict[str, ProjectCode] = {}

    def walk(parent: etree._Element, path: list[str]) -> None:
        for element in parent.iterfind("{*}Code"):
            name = (element.get("name") or "").strip()
            code_guid = normal_guid(element.get("guid"))
            if code_guid:
                codes[code_guid] = ProjectCode(
                    guid=code_guid,
                    name=name,
                    path=" \\ ".join([*path, name]),
                    description=_text(element, "Description"),
                    codable=element.get("isCodable", "true") in ("true", "1"),
                )
            walk(element, [*path, name])

    codes_element = root.find("{*}CodeBook/{*}Codes")
    if codes_element is not None:
        walk(codes_element, [])
    variable_names = {normal_guid(v.get("guid")): (v.get("name") or "").strip() for v in root.iter("{*}Variable")}
    notes = _notes(root, files)
    sources: dict[str, ProjectSource] = {}
    selections: list[ProjectSelection] = []
    not_carried: list[dict] = []
    for element in root.iterfind("{*}Sources/*"):
        kind = etree.QName(element).localname
        source_guid = normal_guid(element.get("guid"))
        name = (element.get("name") or source_guid).strip()
        texts = [element] if kind == "TextSource" else list(element.iterfind("{*}Representation"))
        for text_element in texts:
            sources[source_guid] = ProjectSource(
                guid=source_guid,
                name=name,
                description=_text(element, "Description"),
                text=_source_text(text_element, files, problems),
                variables=_variables(element, variable_names),
                element=kind,
            )
            for selection in text_element.iterfind("{*}PlainTextSelection"):
                selections.append(_selection(selection, source_guid, notes, problems))
        for media, label in NOT_CARRIED.items():
            for selection in element.iter(f"{{*}}{media}"):
                not_carried.append(_not_carried(selection, label, name, codes))
        whole = element.findall("{*}Coding")
        if whole:
            not_carried.append(
                {
                    "what": "coding of a whole source",
                    "source": name,
                    "selection": "",
                    "codes": _code_names(whole, codes),
                }
            )
    if len(selections) > MAX_SELECTIONS:
        raise ProjectRefused(f"The project has {len(selections):,} selections; the limit is {MAX_SELECTIONS:,}.")
    cases = [
        ProjectCase(
            guid=normal_guid(case.get("guid")),
            name=(case.get("name") or "").strip(),
            description=_text(case, "Description"),
            variables=_variables(case, variable_names),
            sources=[normal_guid(ref.get("targetGUID")) for ref in case.iterfind("{*}SourceRef")],
            selections=[normal_guid(ref.get("targetGUID")) for ref in case.iterfind("{*}SelectionRef")],
        )
        for case in root.iterfind("{*}Cases/{*}Case")
    ]
    cases += [
        ProjectCase(
            guid=normal_guid(member_set.get("guid")),
            name=(member_set.get("name") or "").strip(),
            description=_text(member_set, "Description"),
            variables={},
            sources=[normal_guid(ref.get("targetGUID")) for ref in member_set.iterfind("{*}MemberSource")],
            selections=[],
            kind="set",
        )
        for member_set in root.iterfind("{*}Sets/{*}Set")
    ]
    origin = (root.get("origin") or "").strip()
    name = (root.get("name") or "").strip()
    key = "|".join(
        [origin or "unknown tool", name, normal_guid(root.get("creatingUserGUID")), root.get("creationDateTime") or ""]
    )
    project = Project(
        name=name,
        origin=origin,
        key=key[:300],
        users=users,
        codes=codes,
        sources=sources,
        selections=selections,
        cases=cases,
        not_carried=not_carried,
        schema_errors=errors,
        problems=problems,
    )
    check_selections(project)
    return project


def _selection(element: etree._Element, source: str, notes: dict[str, str], problems: list[str]) -> ProjectSelection:
    def position(attribute: str) -> int:
        try:
            return int(element.get(attribute, ""))
        except ValueError:
            problems.append(f"Selection {element.get('guid')}: {attribute} {element.get(attribute)!r} is not a number.")
            return -1

    return ProjectSelection(
        guid=normal_guid(element.get("guid")),
        source=source,
        start=position("startPosition"),
        end=position("endPosition"),
        user=normal_guid(element.get("creatingUser")),
        created=element.get("creationDateTime") or "",
        description=_text(element, "Description"),
        notes=_note_texts(element, notes),
        codings=[
            ProjectCoding(
                code=normal_guid(
                    coding.find("{*}CodeRef").get("targetGUID") if coding.find("{*}CodeRef") is not None else ""
                ),
                user=normal_guid(coding.get("creatingUser")),
                created=coding.get("creationDateTime") or "",
                notes=_note_texts(coding, notes),
            )
            for coding in element.iterfind("{*}Coding")
        ],
    )


def _code_names(codings: list[etree._Element], codes: dict[str, ProjectCode]) -> list[str]:
    names = []
    for coding in codings:
        ref = coding.find("{*}CodeRef")
        code = codes.get(normal_guid(ref.get("targetGUID") if ref is not None else ""))
        names.append(code.path if code else "(unknown code)")
    return names


def _not_carried(element: etree._Element, label: str, source: str, codes: dict[str, ProjectCode]) -> dict:
    return {
        "what": label,
        "source": source,
        "selection": (element.get("name") or element.get("guid") or "").strip(),
        "codes": _code_names(element.findall("{*}Coding"), codes),
    }


def check_selections(project: Project) -> None:
    """Every coded selection must lie inside its source's text and use codes the project has."""
    for selection in project.selections:
        source = project.sources[selection.source]
        label = f"Selection {selection.guid or '(no GUID)'} in {source.name!r}"
        if not selection.guid:
            project.problems.append(f"{label} has no valid GUID.")
        if source.text is None:
            continue  # the missing text is already a problem of its own
        if not 0 <= selection.start < selection.end <= len(source.text):
            project.problems.append(
                f"{label}: positions {selection.start}-{selection.end} fall outside the text "
                f"({len(source.text)} characters; positions count Unicode code points, end exclusive)."
            )
        for coding in selection.codings:
            if coding.code not in project.codes:
                project.problems.append(f"{label} is coded with a code the codebook does not have ({coding.code}).")
