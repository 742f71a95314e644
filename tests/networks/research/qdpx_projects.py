"""Small REFI-QDA projects for the import tests, written the way the tools write them.

`project()` takes plain dicts and returns (project.qde bytes, {member name: bytes}) in the
element order the REFI-QDA 1.0 schema wants; `qdpx()` zips them. Habits of the tools:
MAXQDA writes upper-case GUIDs and nests codes under parent codes; ATLAS.ti writes minimal
projects (no users, no cases, codings without a creating user); NVivo writes cases with
variables; QualCoder counts positions in Unicode code points and keeps sources as
sources/<guid>.txt.
"""

import io
import uuid
import zipfile

from lxml import etree

NS = "urn:QDA-XML:project:1.0"


def new_guid(seed: str, *, upper: bool = False) -> str:
    value = str(uuid.uuid5(uuid.NAMESPACE_URL, seed))
    return value.upper() if upper else value


def span(text: str, passage: str) -> tuple[int, int]:
    """Code-point positions of `passage` in `text`, end exclusive."""
    start = text.index(passage)
    return start, start + len(passage)


def _sub(parent, tag: str, text: str | None = None, **attributes):
    element = etree.SubElement(parent, f"{{{NS}}}{tag}", {k: str(v) for k, v in attributes.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _codes(parent, codes: list[dict]) -> None:
    for code in codes:
        element = _sub(parent, "Code", guid=code["guid"], name=code["name"], isCodable=code.get("codable", "true"))
        if code.get("description"):
            _sub(element, "Description", code["description"])
        _codes(element, code.get("children", []))


def _variable_values(parent, values: dict[str, str], variables: dict[str, str]) -> None:
    for name, value in values.items():
        holder = _sub(parent, "VariableValue")
        _sub(holder, "VariableRef", targetGUID=variables[name])
        _sub(holder, "IntegerValue" if str(value).isdigit() else "TextValue", str(value))


def project(
    *,
    name: str = "Study",
    origin: str = "QualCoder 3.5",
    users: list[tuple[str, str]] = (),
    codes: list[dict] = (),
    cases: list[dict] = (),
    sources: list[dict] = (),
    sets: list[dict] = (),
    notes: list[dict] = (),
    media: list[str] = (),
) -> tuple[bytes, dict[str, bytes]]:
    """A project.qde and its source files.

    sources: {"guid", "name", "text", "inline" (PlainTextContent instead of a file),
    "description", "variables": {name: value}, "selections": [{"guid", "start", "end",
    "user", "codes": [code guid], "description", "notes": [note guid], "code_user"}]}.
    cases: {"guid", "name", "description", "variables", "sources", "selections"}.
    media: raw XML of other sources (e.g. an AudioSource), namespace-free."""
    root = etree.Element(f"{{{NS}}}Project", nsmap={None: NS}, name=name, origin=origin)
    if users:
        holder = _sub(root, "Users")
        for user_guid, user_name in users:
            _sub(holder, "User", guid=user_guid, name=user_name)
    if codes:
        _codes(_sub(_sub(root, "CodeBook"), "Codes"), codes)
    names = sorted({n for part in [*cases, *sources] for n in part.get("variables", {})})
    variables = {n: new_guid(f"variable/{name}/{n}") for n in names}
    if names:
        holder = _sub(root, "Variables")
        for n in names:
            _sub(holder, "Variable", guid=variables[n], name=n, typeOfVariable="Text")
    if cases:
        holder = _sub(root, "Cases")
        for case in cases:
            element = _sub(holder, "Case", guid=case["guid"], name=case.get("name"))
            if case.get("description"):
                _sub(element, "Description", case["description"])
            _variable_values(element, case.get("variables", {}), variables)
            for ref in case.get("sources", []):
                _sub(element, "SourceRef", targetGUID=ref)
            for ref in case.get("selections", []):
                _sub(element, "SelectionRef", targetGUID=ref)
    files = {}
    if sources or media:
        holder = _sub(root, "Sources")
        for source in sources:
            inline = source.get("inline", False)
            path = None if inline else f"internal://{source['guid']}.txt"
            element = _sub(holder, "TextSource", guid=source["guid"], name=source["name"], plainTextPath=path)
            if source.get("description"):
                _sub(element, "Description", source["description"])
            if inline:
                _sub(element, "PlainTextContent", source["text"])
            else:
                files[f"sources/{source['guid']}.txt"] = source["text"].encode("utf-8")
            for selection in source.get("selections", []):
                chosen = _sub(
                    element,
                    "PlainTextSelection",
                    guid=selection["guid"],
                    name=selection.get("name"),
                    startPosition=selection["start"],
                    endPosition=selection["end"],
                    creatingUser=selection.get("user"),
                )
                if selection.get("description"):
                    _sub(chosen, "Description", selection["description"])
                for code in selection.get("codes", []):
                    coding = _sub(
                        chosen,
                        "Coding",
                        guid=new_guid(f"{selection['guid']}/{code}"),
                        creatingUser=selection.get("code_user"),
                    )
                    _sub(coding, "CodeRef", targetGUID=code)
                for note in selection.get("notes", []):
                    _sub(chosen, "NoteRef", targetGUID=note)
            _variable_values(element, source.get("variables", {}), variables)
        for raw in media:
            holder.append(etree.fromstring(f'<wrap xmlns="{NS}">{raw}</wrap>'.encode())[0])
    if notes:
        holder = _sub(root, "Notes")
        for note in notes:
            element = _sub(holder, "Note", guid=note["guid"], name=note.get("name", "Memo"))
            _sub(element, "PlainTextContent", note["text"])
    if sets:
        holder = _sub(root, "Sets")
        for member_set in sets:
            element = _sub(holder, "Set", guid=member_set["guid"], name=member_set["name"])
            for ref in member_set.get("sources", []):
                _sub(element, "MemberSource", targetGUID=ref)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml, files


def qdpx(xml: bytes, files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml)
        for member, data in files.items():
            archive.writestr(member, data)
    return buffer.getvalue()
