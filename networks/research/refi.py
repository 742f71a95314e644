"""REFI-QDA exchange: the codebook as a QDC file, codings as a QDPX project, and QDC import.

REFI-QDA (https://www.qdasoftware.org) is how NVivo, ATLAS.ti, MAXQDA, QualCoder and
Taguette exchange codebooks and coded projects. Both XML documents are validated against
the standard's schemas in `networks/research/refi_schema/` (see its README for their source and
licence).

What Citynet writes
- A QDC codebook (namespace urn:QDA-XML:codebook:1.0): one non-codable parent code per
  kind ("Network function", "Logic of participation") holding the codable codes. A code's
  Description is its definition, then "When to use:", "When not to use:", "Example:" and
  "Citynet code:" (its slug) paragraphs, which `read_qdc` splits again.
- A QDPX project: a zip of `project.qde` (namespace urn:QDA-XML:project:1.0) and
  `sources/<guid>.txt`. Each Citynet source with evidence becomes a TextSource whose plain
  text is the concatenated evidence passages of that source (UTF-8, no byte-order mark,
  LF line breaks); each evidence row is a PlainTextSelection over its passage, coded with
  the code of its coding (Coding > CodeRef) by its coder (a User). What REFI-QDA has no
  attribute for (the source's kind, interview number, organisation, informant role, year,
  URL and the citation of the study it is part of) is written as the TextSource's variables
  (SOURCE_VARIABLES), and a study a source is part of is a TextSource of its own (its text
  is only its heading), so the import restores each source in full. Each city x network (or
  network as a whole) is a Case that refers to the codes applied in it (CodeRef), the
  sources of its evidence (SourceRef) and its selections (SelectionRef). Salience, outcome
  and perspective, which REFI-QDA has no element for, are written in the Descriptions.
- Evidence as the exporting reader may see it (networks.visibility): for anyone without the
  permission to see restricted evidence, a paraphrase-only passage is its public paraphrase
  and a restricted one is the placeholder "[Restricted evidence, item <id>]", still coded, so
  the counts are the same in every export.
- GUIDs are uuid5 of a fixed namespace and a natural key (a code's slug, a coder's name, a
  source's citation, a coding's city, network, code, perspective and coder), so two
  exports of the same data are identical and a code keeps its GUID across exports.

Character positions
  The schema types startPosition and endPosition as plain integers. Citynet counts
  Unicode code points (not bytes, not UTF-16 units) of the plain-text source file,
  starting at 0 for its first character. startPosition is the position of the selection's
  first character and endPosition the position just after its last, so the selected text
  is text[startPosition:endPosition] in Python, and endPosition - startPosition is its
  length. QualCoder writes its selections the same way (its end position is exclusive).
  Implementations disagree here, and at least one reads the standard's prose as making
  endPosition the last character itself: a tool that does will show each selection one
  character longer. The same statement is in every exported project's Description.

Import
  `codebook_import_qdc` adds a QDC's codes to a codebook version. A code already there
  is matched by its Citynet GUID, its slug or its name (case-insensitive) and left as it
  is, so importing the same file twice adds nothing.
"""

import datetime
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from lxml import etree

from networks.models import Code
from networks.models import CodebookVersion
from networks.models import Coding
from networks.models import Evidence
from networks.models import Source
from networks.research.releases import deterministic_zip
from networks.visibility import RESTRICTED_LABEL

CODEBOOK_NAMESPACE = "urn:QDA-XML:codebook:1.0"
PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
SCHEMA_DIR = Path(__file__).resolve().parent / "refi_schema"
SCHEMAS = {"codebook": "Codebook.xsd", "project": "Project.xsd"}
ORIGIN = "Citynet"
# Fixed for good: every GUID Citynet writes derives from it, so changing it would give
# every code, coder and selection a new identity in the researchers' projects.
GUID_NAMESPACE = uuid.UUID("f965c063-48d9-47d5-b253-7f8a9d17d2f4")
# A QDPX is a zip; a fixed time stamp keeps two exports of the same data byte-identical.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
KIND_ORDER = [Code.Kind.FUNCTION, Code.Kind.LOGIC]
DESCRIPTION_FIELDS = [
    ("when_to_use", "When to use"),
    ("when_not_to_use", "When not to use"),
    ("example", "Example"),
    # QDC has no field for a short code name; without it a round trip would rename every code.
    ("code", "Citynet code"),
]
# Source fields REFI-QDA has no attribute for: variable name -> typeOfVariable, in the order written.
SOURCE_VARIABLES = {
    "Source kind": "Text",
    "Interview number": "Integer",
    "Organisation": "Text",
    "Informant role": "Text",
    "Year": "Integer",
    "URL": "Text",
    "Part of": "Text",  # the citation of the study the source is part of
}
NO_DEFINITION = "(The imported codebook gives no definition.)"
POSITIONS = (
    "Character positions (startPosition, endPosition) count Unicode code points of the UTF-8 "
    "plain-text source file, starting at 0 for its first character; endPosition is the position "
    "just after the selection's last character, so a selection is text[startPosition:endPosition]. "
    "Line breaks are single LF characters; the files have no byte-order mark."
)


def guid(*parts: str) -> str:
    """A stable GUID for what `parts` name (uppercase, the form NVivo and ATLAS.ti write)."""
    return str(uuid.uuid5(GUID_NAMESPACE, "/".join(parts))).upper()


def code_guid(code: str) -> str:
    return guid("code", code)


def kind_guid(kind: str) -> str:
    return guid("kind", kind)


def coder_guid(name: str) -> str:
    return guid("coder", name)


def _tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@cache
def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / SCHEMAS[name])))


def schema_errors(xml: bytes, *, schema: str) -> list[str]:
    """Messages for every way `xml` breaks the REFI-QDA `schema` ("codebook" or
    "project"); an empty list when it is valid."""
    validator = _schema(schema)
    if validator.validate(etree.fromstring(xml, _safe_parser())):
        return []
    return [f"line {error.line}: {error.message}" for error in validator.error_log]


def _safe_parser() -> etree.XMLParser:
    # Files come from other tools and other people: no entities, DTDs or network access.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


# --- The codebook --------------------------------------------------------------------


def code_description(code: Code) -> str:
    """A code's Description: the definition, then one labelled paragraph per guidance
    field set, then "Citynet code: <slug>"."""
    paragraphs = [code.definition.strip()]
    for field, label in DESCRIPTION_FIELDS:
        value = getattr(code, field).strip()
        if value:
            paragraphs.append(f"{label}: {value}")
    return "\n\n".join(paragraphs)


def parse_code_description(text: str) -> dict:
    """Split a Description written by `code_description` back into {"definition",
    "when_to_use", "when_not_to_use", "example", "code"}; foreign text is all definition."""
    labels = "|".join(re.escape(label) for _field, label in DESCRIPTION_FIELDS)
    parts = re.split(rf"\n\n({labels}): ", (text or "").strip())
    fields = {"definition": parts[0].strip()}
    by_label = {label: field for field, label in DESCRIPTION_FIELDS}
    for label, value in zip(parts[1::2], parts[2::2], strict=True):
        fields[by_label[label]] = value.strip()
    return {name: fields.get(name, "") for name in ["definition", *by_label.values()]}


def _ordered_codes(codes: Iterable[Code]) -> dict[str, list[Code]]:
    """Codes by kind in display order, one per slug (the first given wins)."""
    seen: dict[str, Code] = {}
    for code in codes:
        seen.setdefault(code.code, code)
    by_kind: dict[str, list[Code]] = {kind: [] for kind in KIND_ORDER}
    for code in sorted(seen.values(), key=lambda code: (code.position, code.code)):
        by_kind.setdefault(code.kind, []).append(code)
    return {kind: found for kind, found in by_kind.items() if found}


def _codes_element(parent: etree._Element, namespace: str, codes: Iterable[Code]) -> None:
    codes_element = etree.SubElement(parent, _tag(namespace, "Codes"))
    for kind, members in _ordered_codes(codes).items():
        group = etree.SubElement(
            codes_element,
            _tag(namespace, "Code"),
            guid=kind_guid(kind),
            name=str(Code.Kind(kind).label),
            isCodable="false",
        )
        etree.SubElement(
            group, _tag(namespace, "Description")
        ).text = f"Citynet groups its codes by kind; this group holds every {Code.Kind(kind).label.lower()} code."
        for code in members:
            element = etree.SubElement(
                group, _tag(namespace, "Code"), guid=code_guid(code.code), name=code.name, isCodable="true"
            )
            etree.SubElement(element, _tag(namespace, "Description")).text = code_description(code)


def codebook_qdc(codes: Iterable[Code]) -> bytes:
    """The codes as a REFI-QDA Codebook (.qdc) document, UTF-8 XML bytes."""
    root = etree.Element(_tag(CODEBOOK_NAMESPACE, "CodeBook"), nsmap={None: CODEBOOK_NAMESPACE}, origin=ORIGIN)
    _codes_element(root, CODEBOOK_NAMESPACE, codes)
    return _serialise(root)


def read_qdc(data: bytes) -> list[dict]:
    """The codes of a QDC codebook (or of a project's CodeBook), in document order:
    [{"guid", "name", "kind" (a Code.Kind, or None if no parent names one), "definition",
    "when_to_use", "when_not_to_use", "example", "code" (the slug if Citynet wrote it, else
    "")}]. Non-codable codes are groups: a group named like a Citynet kind (singular or
    plural) sets the kind of the codes inside it."""
    try:
        root = etree.fromstring(data, _safe_parser())
    except etree.XMLSyntaxError as error:
        raise ValueError(f"Not an XML file: {error}") from error
    if etree.QName(root).localname == "Project":
        root = root.find("{*}CodeBook")
    if root is None or etree.QName(root).localname != "CodeBook" or root.find("{*}Codes") is None:
        raise ValueError("Not a REFI-QDA codebook: no CodeBook with Codes.")
    kinds = {_kind_key(str(label)): value for value, label in Code.Kind.choices}
    kind_guids = {kind_guid(kind): kind for kind in KIND_ORDER}
    found: list[dict] = []

    def walk(element: etree._Element, kind: str | None) -> None:
        for child in element.iterfind("{*}Code"):
            name = (child.get("name") or "").strip()
            child_kind = kind_guids.get((child.get("guid") or "").upper()) or kinds.get(_kind_key(name)) or kind
            if child.get("isCodable") in ("true", "1") and name:
                description = child.findtext("{*}Description") or ""
                found.append(
                    {"guid": (child.get("guid") or "").upper(), "name": name, "kind": child_kind}
                    | parse_code_description(description)
                )
            walk(child, child_kind)

    walk(root.find("{*}Codes"), None)
    return found


def _kind_key(name: str) -> str:
    """'Logics of participation' and 'Network functions' name the same kinds as the labels."""
    return re.sub(r"s\b", "", name.strip().casefold())


def _import_version(origin: str) -> CodebookVersion:
    """A new current version for codes imported where no version is current."""
    today = timezone.localdate()
    label, suffix = f"qdc-import-{today.isoformat()}", 1
    while CodebookVersion.objects.filter(label=label).exists():
        suffix += 1
        label = f"qdc-import-{today.isoformat()}-{suffix}"
    version = CodebookVersion(
        label=label,
        released=today,
        is_current=True,
        description=f"Created by importing a REFI-QDA codebook{f' from {origin}' if origin else ''}.",
    )
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def codebook_import_qdc(
    *, data: bytes, version: CodebookVersion | None = None, default_kind: str = Code.Kind.FUNCTION
) -> dict:
    """Add the codes of a QDC codebook to `version` (default: the current version, or a new
    current one when there is none).

    A code already in the version is matched by Citynet GUID, slug (the "Citynet code"
    its description gives, else its slugified name) or name (case-insensitive) and left
    unchanged; any other code is created at the end of its kind (the kind group it sits
    in, else `default_kind`). Returns {"version": label, "version_created": bool,
    "created": [slugs], "matched": [slugs]}. Raises ValueError for a file that is not a
    codebook and ValidationError for a code that breaks a rule; either way nothing is
    saved.
    """
    entries = read_qdc(data)
    version_created = False
    if version is None:
        version = CodebookVersion.objects.filter(is_current=True).first()
    if version is None:
        version = _import_version(etree.fromstring(data, _safe_parser()).get("origin", ""))
        version_created = True
    existing = list(version.codes.all())
    by_guid = {code_guid(code.code): code for code in existing}
    by_slug = {code.code: code for code in existing}
    by_name = {code.name.casefold(): code for code in existing}
    positions: dict[str, int] = defaultdict(int)
    for code in existing:
        positions[code.kind] = max(positions[code.kind], code.position)
    created, matched = [], []
    for entry in entries:
        slug = slugify(entry["code"])[:50] or slugify(entry["name"])[:50] or "code"
        code = by_guid.get(entry["guid"]) or by_slug.get(slug) or by_name.get(entry["name"].casefold())
        if code is not None:
            if code.code not in matched and code.code not in created:
                matched.append(code.code)
            continue
        kind = entry["kind"] or default_kind
        positions[kind] += 1
        code = Code(
            version=version,
            code=slug,
            name=entry["name"][:200],
            kind=kind,
            position=positions[kind],
            definition=entry["definition"] or NO_DEFINITION,
            when_to_use=entry["when_to_use"],
            when_not_to_use=entry["when_not_to_use"],
            example=entry["example"],
        )
        code.full_clean()
        code.save()
        created.append(code.code)
        by_guid[code_guid(code.code)] = by_slug[code.code] = by_name[code.name.casefold()] = code
    return {"version": version.label, "version_created": version_created, "created": created, "matched": matched}


# --- The project ---------------------------------------------------------------------


def _natural_sort_key(text: str) -> list:
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text)]


def _plain(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _coding_key(coding: Coding) -> tuple[str, ...]:
    city = coding.city.slug if coding.city_id else "-"
    return (city, coding.network.slug, coding.code.code, coding.perspective, coding.coder.name)


def _case_name(coding: Coding) -> str:
    network = coding.network.acronym or coding.network.name
    return f"{coding.city.name} × {network}" if coding.city_id else f"{network} (the network as a whole)"


def _when(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(datetime.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _coding_summary(coding: Coding) -> str:
    outcome = f", outcome {coding.get_outcome_display().lower()}" if coding.outcome else ""
    note = f" Note: {coding.note.strip()}" if coding.note.strip() else ""
    salience = "not rated" if coding.salience is None else f"{coding.salience} ({coding.salience_label})"
    return (
        f"{coding.code.name}: salience {salience}{outcome}; "
        f"perspective: {coding.get_perspective_display().lower()}; coded by {coding.coder.name}.{note}"
    )


def source_text(source, passages: list[dict]) -> tuple[str, dict[tuple, tuple[int, int]]]:
    """The plain text of one source: a heading, then each passage as a block of a
    "[locator] kind" line, the passage and, if any, its original-language text.

    `passages` are {"locator", "kind", "text", "original_text", "language"} dicts. Returns
    (text, {passage key: (start, end)}) with code-point positions of each passage's text.
    """
    text = f"{source.label or source.citation}\n{source.citation}\n" if source.label else f"{source.citation}\n"
    positions = {}
    for passage in passages:
        heading = f"[{passage['locator'] or 'no locator'}] {passage['kind']}"
        text += f"\n{heading}\n"
        start = len(text)
        text += passage["text"]
        positions[passage["key"]] = (start, len(text))
        text += "\n"
        if passage["original_text"]:
            text += f"Original ({passage['language'] or 'source language'}): {passage['original_text']}\n"
    return text, positions


def source_variables(source: Source, part_of: str = "") -> dict[str, str]:
    """The SOURCE_VARIABLES a source has a value for: {name: value as text}; `part_of` is
    the citation of the study it is part of."""
    values = {
        "Source kind": source.kind,
        "Interview number": source.interview_number,
        "Organisation": source.organisation,
        "Informant role": source.informant_role,
        "Year": source.year,
        "URL": source.url,
        "Part of": part_of,
    }
    return {name: str(value) for name, value in values.items() if value not in (None, "")}


def _with_studies(sources: dict[str, Source]) -> dict[int, str]:
    """Add to `sources` (by citation) the studies they are part of, and theirs, one query per
    level (none when no source is part of one); returns {source pk: citation} of them all."""
    citations = {source.pk: source.citation for source in sources.values()}
    asked: set[int] = set()
    while wanted := {source.part_of_id for source in sources.values()} - {None} - set(citations) - asked:
        asked |= wanted
        for study in Source.objects.filter(pk__in=wanted).order_by("pk"):
            sources.setdefault(study.citation, study)
            citations[study.pk] = study.citation
    return citations


def _variables_element(parent: etree._Element, used: set[str]) -> None:
    ns = PROJECT_NAMESPACE
    element = etree.SubElement(parent, _tag(ns, "Variables"))
    for name, kind in SOURCE_VARIABLES.items():
        if name in used:
            etree.SubElement(element, _tag(ns, "Variable"), guid=guid("variable", name), name=name, typeOfVariable=kind)


def _variable_values(parent: etree._Element, values: dict[str, str]) -> None:
    ns = PROJECT_NAMESPACE
    for name, value in values.items():
        holder = etree.SubElement(parent, _tag(ns, "VariableValue"))
        etree.SubElement(holder, _tag(ns, "VariableRef"), targetGUID=guid("variable", name))
        etree.SubElement(holder, _tag(ns, f"{SOURCE_VARIABLES[name]}Value")).text = value


def project_document(
    codings: Iterable[Coding], *, codes: Iterable[Code] = (), name: str = "Citynet codings", scope: str = ""
) -> tuple[bytes, dict[str, str]]:
    """The REFI-QDA project for `codings` (from `Coding.objects.for_export(reader)`): the
    `project.qde` XML and {file name in sources/: plain text}. `codes` adds codebook codes
    no coding uses; `scope` says in the Description which codings were chosen."""
    codings = list(codings)
    ns = PROJECT_NAMESPACE
    root = etree.Element(_tag(ns, "Project"), nsmap={None: ns}, name=name, origin=ORIGIN)

    coders = sorted({coding.coder.name for coding in codings})
    if coders:
        users = etree.SubElement(root, _tag(ns, "Users"))
        for coder in coders:
            etree.SubElement(users, _tag(ns, "User"), guid=coder_guid(coder), name=coder)

    codebook = [*codes, *(coding.code for coding in codings)]
    if codebook:
        _codes_element(etree.SubElement(root, _tag(ns, "CodeBook")), ns, codebook)

    # Passages per source, each evidence row a selection over its passage.
    sources: dict[str, object] = {}
    passages: dict[str, dict[tuple, dict]] = defaultdict(dict)
    selections: list[dict] = []
    for coding in codings:
        for item in coding.evidence.all():
            source = item.source
            sources[source.citation] = source
            # Each restricted item has a passage of its own, so its selection keeps its own GUID.
            text = item.shown_text or f"[{RESTRICTED_LABEL}, item {item.pk}]"
            key = (item.shown_locator, item.shown_kind, _plain(text), _plain(item.shown_original_text), item.language)
            passages[source.citation].setdefault(
                key,
                {
                    "key": key,
                    "locator": item.shown_locator,
                    "kind": Evidence.Kind(item.shown_kind).label,
                    "text": key[2],
                    "original_text": key[3],
                    "language": item.language,
                },
            )
            selections.append({"coding": coding, "evidence": item, "source": source.citation, "passage": key})

    with_evidence = len(sources)
    citations = _with_studies(sources)
    variables = {
        citation: source_variables(source, citations.get(source.part_of_id, "")) for citation, source in sources.items()
    }
    texts: dict[str, str] = {}
    source_guids: dict[str, str] = {}
    spans: dict[str, dict[tuple, tuple[int, int]]] = {}
    ordered_sources = sorted(
        sources.values(), key=lambda s: (s.kind, s.interview_number or 0, _natural_sort_key(s.label), s.citation)
    )
    for source in ordered_sources:
        ordered = sorted(
            passages[source.citation].values(),
            key=lambda p: (_natural_sort_key(p["locator"]), p["text"], p["original_text"]),
        )
        text, spans[source.citation] = source_text(source, ordered)
        source_guids[source.citation] = guid("source", source.citation)
        texts[f"{source_guids[source.citation]}.txt"] = text

    for selection in selections:
        coding, item = selection["coding"], selection["evidence"]
        key = _coding_key(coding)
        selection["guid"] = guid("evidence", *key, item.source.citation, selection["passage"][2], item.shown_locator)
        selection["span"] = spans[selection["source"]][selection["passage"]]

    used = {name for values in variables.values() for name in values}
    if used:
        _variables_element(root, used)

    # Cases: one per city x network (or network as a whole), in export order.
    cases: dict[tuple, dict] = {}
    for coding in codings:
        case_key = _coding_key(coding)[:2]
        case = cases.setdefault(case_key, {"name": _case_name(coding), "codings": [], "codes": [], "sources": []})
        case["codings"].append(coding)
        if coding.code.code not in case["codes"]:
            case["codes"].append(coding.code.code)
    for selection in selections:
        case = cases[_coding_key(selection["coding"])[:2]]
        if selection["source"] not in case["sources"]:
            case["sources"].append(selection["source"])
        case.setdefault("selections", []).append(selection["guid"])
    if cases:
        cases_element = etree.SubElement(root, _tag(ns, "Cases"))
        for case_key, case in cases.items():
            element = etree.SubElement(cases_element, _tag(ns, "Case"), guid=guid("case", *case_key), name=case["name"])
            etree.SubElement(element, _tag(ns, "Description")).text = "\n".join(
                _coding_summary(coding) for coding in case["codings"]
            )
            for code in case["codes"]:
                etree.SubElement(element, _tag(ns, "CodeRef"), targetGUID=code_guid(code))
            for citation in sorted(case["sources"], key=lambda citation: list(source_guids).index(citation)):
                etree.SubElement(element, _tag(ns, "SourceRef"), targetGUID=source_guids[citation])
            for selection_guid in case.get("selections", []):
                etree.SubElement(element, _tag(ns, "SelectionRef"), targetGUID=selection_guid)

    if ordered_sources:
        sources_element = etree.SubElement(root, _tag(ns, "Sources"))
        for source in ordered_sources:
            source_guid = source_guids[source.citation]
            element = etree.SubElement(
                sources_element,
                _tag(ns, "TextSource"),
                guid=source_guid,
                name=source.label or source.citation[:80],
                plainTextPath=f"internal://{source_guid}.txt",
            )
            etree.SubElement(element, _tag(ns, "Description")).text = source.citation
            own = sorted(
                (selection for selection in selections if selection["source"] == source.citation),
                key=lambda selection: (selection["span"], selection["guid"]),
            )
            for selection in own:
                _selection_element(element, selection)
            _variable_values(element, variables[source.citation])

    description = [
        f"Exported from Citynet: {len(codings)} codings{f' ({scope})' if scope else ''}, "
        f"{len(selections)} evidence passages in {with_evidence} sources"
        + (
            f", and the {len(sources) - with_evidence} studies they are part of."
            if len(sources) > with_evidence
            else "."
        ),
        "A source's kind, interview number, organisation, informant role, year, URL and the citation of "
        "the study it is part of are its variables.",
        "Each source's text is the evidence passages Citynet holds from it, not the source in full. "
        "Salience (0 explicitly not important, 1 minor, 2 important, 3 central), outcome and perspective "
        "are in the Descriptions of the cases and selections.",
        POSITIONS,
    ]
    etree.SubElement(root, _tag(ns, "Description")).text = "\n\n".join(description)
    return _serialise(root), texts


def _selection_element(parent: etree._Element, selection: dict) -> None:
    ns = PROJECT_NAMESPACE
    coding, item = selection["coding"], selection["evidence"]
    start, end = selection["span"]
    attributes = {
        "guid": selection["guid"],
        "name": f"{_case_name(coding)} · {coding.code.name}",
        "startPosition": str(start),
        "endPosition": str(end),
        "creatingUser": coder_guid(coding.coder.name),
    }
    if coding.coded_at:
        attributes["creationDateTime"] = _when(coding.coded_at)
    element = etree.SubElement(parent, _tag(ns, "PlainTextSelection"), attributes)
    evidence = f"Evidence: {Evidence.Kind(item.shown_kind).label.lower()}, {item.shown_citation}."
    etree.SubElement(
        element, _tag(ns, "Description")
    ).text = f"{_case_name(coding)} — {_coding_summary(coding)} {evidence}"
    coding_attributes = {"guid": guid("coding", selection["guid"]), "creatingUser": attributes["creatingUser"]}
    if "creationDateTime" in attributes:
        coding_attributes["creationDateTime"] = attributes["creationDateTime"]
    coding_element = etree.SubElement(element, _tag(ns, "Coding"), coding_attributes)
    etree.SubElement(coding_element, _tag(ns, "CodeRef"), targetGUID=code_guid(coding.code.code))


def project_qdpx(
    codings: Iterable[Coding], *, codes: Iterable[Code] = (), name: str = "Citynet codings", scope: str = ""
) -> bytes:
    """The REFI-QDA project (.qdpx) for `codings`: zip bytes of `project.qde` and
    `sources/<guid>.txt`, identical for identical data. See `project_document`."""
    return qdpx_archive(*project_document(codings, codes=codes, name=name, scope=scope))


def qdpx_archive(xml: bytes, texts: dict[str, str]) -> bytes:
    """Zip a `project_document` as a .qdpx: `project.qde` and `sources/<file>` (UTF-8)."""
    files = {"project.qde": xml} | {f"sources/{file_name}": text.encode("utf-8") for file_name, text in texts.items()}
    return deterministic_zip(files, date_time=ZIP_DATE_TIME)
