"""What a REFI-QDA project's codes, users, cases and sources become in Citynet.

`propose` reads the database and the editor's (or the remembered) choices and returns a
`Plan`: every coding and evidence item the import would write, what each project part maps
to and how it was matched, and the problems that stop the import. Nothing is written here.

Matching, in order:
- a code: its Citynet GUID (uuid5 of its slug, as `refi` writes them), the editor's
  earlier choice, the "Citynet code:" in its description, then its name in the current
  codebook; else the editor decides (a code, "new" for a new codebook version, or "skip";
  skipped codes and their selections are listed, never dropped unseen);
- a user: the coder of the same name (a new coder is made otherwise);
- a source: the Citynet source with its citation (Citynet's own projects: the Description;
  else a "citation" variable or its name), else a new one from its variables (Citynet
  writes every field as one, `refi.SOURCE_VARIABLES`, and the studies sources are part of
  as sources of their own) or, failing those, its name ("Interview 4" is an interview);
- a selection's cell (city x network, or the network as a whole): the cases that refer to
  the selection, else the cases or sets that hold its source, else the source's own
  variables; a case is read as "City × Network" (how Citynet names cases), from variables
  named city, country, place kind and network, or as a place name in the network the editor
  chose. Places are found through the place register's reconciliation (`places.PlaceFinder`:
  slug, an editor's decision, name, folded name or GeoNames alternate name, with the country
  a variable or the name gives); doubtful ones are the editor's to choose; none is made.
- salience, outcome and perspective: Citynet's own Descriptions, notes or descriptions
  saying "salience: 2" or "salience: central", "outcome: met", and case or source variables
  named "<code> salience" / "<code> outcome"; a coding with no salience anywhere comes in
  not rated (salience left empty, never guessed) unless the editor chooses to leave such
  codings out or to give them one salience for the import (and the note says so).
"""

import datetime
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from cities.models import City
from networks.models import Code
from networks.models import Coding
from networks.models import Evidence
from networks.models import Network
from networks.models import Source
from networks.research.qdpx_import.places import PlaceFinder
from networks.research.qdpx_import.places import read_kind
from networks.research.qdpx_import.reading import Project
from networks.research.qdpx_import.reading import ProjectSelection
from networks.research.qdpx_import.reading import ProjectSource
from networks.research.refi import code_guid
from networks.research.refi import parse_code_description
from networks.salience import SALIENCE_LABELS

SKIP, NEW, WHOLE = "skip", "new", "-"
PERSPECTIVE_LABELS = {str(label).casefold(): value for value, label in Coding.Perspective.choices}
SALIENCE_WORDS = {label: value for value, label in SALIENCE_LABELS.items()}
SOURCE_KINDS = {value: value for value in Source.Kind.values} | {
    str(label).casefold(): value for value, label in Source.Kind.choices
}
# What Citynet writes in a selection's Description (refi._selection_element).
CITYNET_SELECTION = re.compile(
    r"^(?P<case>.*?) — (?P<code>.*?): salience (?:(?P<salience>[0-3]) \([^)]*\)|not rated)"
    r"(?:, outcome (?P<outcome>\w+))?; "
    r"perspective: (?P<perspective>[^;]+); coded by (?P<coder>.*?)\.(?: Note: (?P<note>.*?))? "
    r"Evidence: (?P<kind>quote|paraphrase), .*\.$",
    re.DOTALL,
)
CITYNET_CASE_LINE = re.compile(
    r"^(?P<code>.*?): salience (?:(?P<salience>[0-3]) \([^)]*\)|not rated)(?:, outcome (?P<outcome>\w+))?; "
    r"perspective: (?P<perspective>[^;]+); coded by (?P<coder>.*?)\.(?: Note: (?P<note>.*))?$"
)
CITYNET_HEADING = re.compile(r"\n\[(?P<locator>[^\]\n]*)\] (?P<kind>Quote|Paraphrase)\n$")
SALIENCE_SAID = re.compile(
    r"\bsalience\s*[:=]?\s*(?P<value>[0-3]\b|explicitly not important|not important|minor|important|central)",
    re.IGNORECASE,
)
OUTCOME_SAID = re.compile(r"\boutcome\s*[:=]?\s*(?P<value>met|mixed|unmet|unknown)\b", re.IGNORECASE)
INTERVIEW_NAME = re.compile(r"\binterview\s*(?:no\.?|nr\.?|number|#)?\s*(?P<number>\d{1,4})\b", re.IGNORECASE)
CASE_NAME = re.compile(r"^(?P<city>.+?)\s+(?:×|x|X|/)\s+(?P<network>.+)$")
WHOLE_NAME = re.compile(r"^(?P<network>.+?) \(the network as a whole\)$")


@dataclass
class Choices:
    """What the editor decided; saved as the project's remembered mapping."""

    codes: dict[str, str] = field(default_factory=dict)  # project code GUID -> Code pk, NEW or SKIP
    coders: dict[str, str] = field(default_factory=dict)  # user GUID -> coder name
    cells: dict[str, str] = field(default_factory=dict)  # unit key -> "city-slug@network-slug", "-@net" or SKIP
    network: str = ""  # the network of cases named by a place only
    default_coder: str = ""  # for selections no user is named on
    visibility: str = "default"  # default (interviews restricted, else public), public or restricted
    kind: str = Evidence.Kind.QUOTE
    perspective: str = "default"  # default (city cases: city; the network as a whole: network) or a value
    unrated_salience: str = ""  # "" (import them not rated), SKIP or "0".."3"

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> "Choices":
        known = {name: value for name, value in (data or {}).items() if name in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Cell:
    city: City | None
    network: Network


@dataclass
class PlannedCoding:
    key: tuple  # (city pk or None, network pk, code pk, perspective, coder name)
    cell: Cell
    code: Code | None  # None: a new code, named in `new_code`
    new_code: str
    perspective: str
    coder: str
    salience: int | None
    salience_from: str
    outcome: str
    note: str
    coded_at: datetime.datetime | None
    evidence: list[dict] = field(default_factory=list)


@dataclass
class Plan:
    project: Project
    choices: Choices
    code_rows: list[dict]
    coder_rows: list[dict]
    unit_rows: list[dict]
    source_rows: list[dict]
    sources: dict[str, dict]  # project source GUID -> planned_source()
    codings: list[PlannedCoding]
    left_out: list[dict]  # selections not imported, and why
    problems: list[str]
    existing_sources: dict[str, Source] = field(default_factory=dict)  # existing_sources()

    @property
    def unrated(self) -> int:
        """How many of the codings come in not rated (no salience in the project)."""
        return sum(item.salience is None for item in self.codings)


def network_named(name: str) -> Network | None:
    name = name.strip()
    if not name:
        return None
    found = list(Network.objects.filter(Q(slug=name) | Q(acronym__iexact=name) | Q(name__iexact=name))[:2])
    return found[0] if len(found) == 1 else None


def _variable(variables: dict[str, str], *names: str) -> str:
    folded = {key.casefold(): value for key, value in variables.items()}
    return next((folded[name] for name in names if folded.get(name)), "")


# --- codes --------------------------------------------------------------------------


def _code_rows(project: Project, choices: Choices, used: dict[str, int]) -> tuple[list[dict], dict[str, str]]:
    current = list(Code.objects.current())
    by_guid = {code_guid(code.code): code for code in current}
    by_pk = {str(code.pk): code for code in current}
    by_slug = {code.code: code for code in current}
    by_name = {code.name.casefold(): code for code in current}
    rows, targets = [], {}
    for code in project.codes.values():
        if not code.codable and not used.get(code.guid):
            continue
        chosen = choices.codes.get(code.guid, "")
        slug = parse_code_description(code.description)["code"]
        if chosen in (SKIP, NEW) or chosen in by_pk:
            target, how = chosen, "your choice"
        elif code.guid in by_guid:
            target, how = str(by_guid[code.guid].pk), "Citynet GUID"
        elif slug in by_slug:
            target, how = str(by_slug[slug].pk), "Citynet code in its description"
        elif code.name.casefold() in by_name:
            target, how = str(by_name[code.name.casefold()].pk), "same name"
        else:
            target, how = SKIP, "no match: left out unless you choose"
        targets[code.guid] = target
        rows.append(
            {
                "guid": code.guid,
                "path": code.path,
                "selections": used.get(code.guid, 0),
                "target": target,
                "target_label": by_pk[target].name if target in by_pk else target,
                "how": how,
            }
        )
    return rows, targets


# --- cells --------------------------------------------------------------------------


def _units_of(selection: ProjectSelection, project: Project) -> list[tuple[str, str, dict]]:
    """(unit key, name, variables) of the cases, sets or source a selection belongs to."""
    by_selection, by_source = _case_index(project)
    cases = by_selection.get(selection.guid) or by_source.get(selection.source)
    if cases:
        return [(f"{case.kind}:{case.guid}", case.name, case.variables) for case in cases]
    source = project.sources[selection.source]
    return [(f"source:{source.guid}", source.name, source.variables)]


def _case_index(project: Project) -> tuple[dict, dict]:
    """Cases by the selections and sources they refer to, built once per project."""
    if not hasattr(project, "_case_index"):
        by_selection: dict[str, list] = defaultdict(list)
        by_source: dict[str, list] = defaultdict(list)
        for case in project.cases:
            for guid in dict.fromkeys(case.selections):
                by_selection[guid].append(case)
            for guid in dict.fromkeys(case.sources):
                by_source[guid].append(case)
        project._case_index = (by_selection, by_source)
    return project._case_index


def _propose_cell(
    name: str, variables: dict[str, str], choices: Choices, finder: Callable[[], PlaceFinder]
) -> tuple[str, str, list[City]]:
    """("city-slug@network-slug" or "-@network-slug" or "", how it was found, candidate
    places for the editor). `finder` gives the (one, lazily made) PlaceFinder."""
    network_name = _variable(variables, "network", "city network")
    city_name = _variable(variables, "city", "place", "municipality")
    country = _variable(variables, "country", "country code")
    kind = read_kind(_variable(variables, "place kind", "city kind", "kind of place", "type of place", "kind", "type"))
    whole = WHOLE_NAME.match(name)
    named = CASE_NAME.match(name)
    if whole and not city_name:
        network_name = network_name or whole.group("network")
        city_name = WHOLE
    elif named and not city_name:
        city_name, network_name = named.group("city"), network_name or named.group("network")
    elif not city_name:
        city_name = name
    if network_name:
        network = network_named(network_name)
    else:
        only = list(Network.objects.all()[:2])
        network = Network.objects.filter(slug=choices.network).first() or (only[0] if len(only) == 1 else None)
    if network is None:
        return "", f"no network named {network_name!r}" if network_name else "choose the network", []
    if city_name == WHOLE:
        return f"{WHOLE}@{network.slug}", "the network as a whole", []
    found = finder().find(city_name, country, kind)
    if found.city is not None:
        return f"{found.city.slug}@{network.slug}", found.how, []
    return "", found.how, found.candidates


def _resolve_cell(value: str) -> tuple[Cell | None, str]:
    city_slug, _at, network_slug = value.partition("@")
    network = Network.objects.filter(slug=network_slug).first()
    if network is None:
        return None, f"no network with slug {network_slug!r}"
    if city_slug == WHOLE:
        return Cell(city=None, network=network), ""
    city = City.objects.filter(slug=city_slug).first()
    if city is None:
        return None, f"no place with slug {city_slug!r}"
    return Cell(city=city, network=network), ""


def _unit_rows(project: Project, choices: Choices, counts: dict[str, int], names: dict) -> tuple[list, dict, list]:
    rows, cells, problems = [], {}, []
    made: list[PlaceFinder] = []

    def finder() -> PlaceFinder:
        """The register is read once, and only when a case needs a place found."""
        if not made:
            made.append(PlaceFinder())
        return made[0]

    for key, count in counts.items():
        name, variables = names[key]
        chosen = choices.cells.get(key, "")
        how, candidates = "your choice", []
        if not chosen:
            chosen, how, candidates = _propose_cell(name, variables, choices, finder)
        cell, error = (None, "") if chosen in ("", SKIP) else _resolve_cell(chosen)
        if chosen == SKIP:
            how = "left out (your choice)"
        elif error:
            how = error
        if chosen != SKIP and cell is None:
            problems.append(f"{key.partition(':')[0].title()} {name!r} ({count} selections): {how}.")
        cells[key] = cell
        rows.append(
            {
                "key": key,
                "name": name,
                "selections": count,
                "target": chosen,
                "how": how,
                "candidates": [place.slug for place in candidates],
                "cell": cell,
            }
        )
    return rows, cells, problems


# --- sources ------------------------------------------------------------------------


def _citation(source: ProjectSource, project: Project) -> str:
    return _variable(source.variables, "citation") or (source.description if project.is_citynet else "") or source.name


def existing_sources(project: Project) -> dict[str, Source]:
    """The Citynet sources with the citations of the project's sources or the studies they
    are part of, by citation (one query)."""
    citations = set()
    for source in project.sources.values():
        citations |= {_citation(source, project), _variable(source.variables, "part of")}
    return {source.citation: source for source in Source.objects.filter(citation__in=citations - {""})}


def planned_source(source: ProjectSource, project: Project, existing: dict[str, Source]) -> dict:
    """The Citynet source a project source is (an existing one with the same citation, from
    `existing_sources`) or becomes. Citynet's own projects give every field as a variable
    (`refi.SOURCE_VARIABLES`); "part_of" is the citation of the study it is part of."""
    variables = source.variables
    citation = _citation(source, project)
    if citation in existing:
        found = existing[citation]
        return {"existing": found, "citation": citation, "kind": found.kind, "label": found.label, "part_of": ""}
    kind_said = _variable(variables, "source kind", "kind", "type").casefold()
    number_said = _variable(variables, "interview number", "interview", "number")
    found = INTERVIEW_NAME.search(source.name)
    kind = SOURCE_KINDS.get(kind_said)
    if kind is None:  # not said in Citynet's words: an interview if a number or the name says so
        is_interview = bool(number_said) or (bool(found) and not kind_said)
        kind = Source.Kind.INTERVIEW if is_interview else Source.Kind.DOCUMENT
    is_interview = kind == Source.Kind.INTERVIEW
    number = number_said or (found.group("number") if found else "")
    year = _variable(variables, "year")
    label = "" if project.is_citynet and source.name == citation[:80] else source.name[:200]
    # Another tool's "organisation" of a document is its publisher, not the body interviewed.
    about_informant = is_interview or project.is_citynet
    return {
        "existing": None,
        "citation": citation,
        "label": label,
        "kind": kind,
        "interview_number": int(number) if is_interview and number.isdigit() else None,
        "organisation": _variable(variables, "organisation", "organization")[:200] if about_informant else "",
        "informant_role": _variable(variables, "informant role", "role")[:200] if about_informant else "",
        "year": int(year) if year.isdigit() and 0 < int(year) < 3000 else None,
        "url": _variable(variables, "url")[:500],
        "part_of": _variable(variables, "part of"),
    }


# --- codings ------------------------------------------------------------------------


def _said(texts: list[str], pattern: re.Pattern) -> str:
    for text in texts:
        found = pattern.search(text or "")
        if found:
            return found.group("value").casefold()
    return ""


def _salience(value: str) -> int | None:
    if value.isdigit():
        return int(value)
    return SALIENCE_WORDS.get("explicitly not important" if value == "not important" else value)


def _perspective(text: str) -> str:
    text = text.strip().casefold()
    return PERSPECTIVE_LABELS.get(text, text if text in Coding.Perspective.values else "")


def _case_lines(project: Project) -> dict[str, dict[tuple[str, str], dict]]:
    """Citynet's case summaries: {unit key: {(code name, coder): values}}."""
    lines: dict[str, dict] = defaultdict(dict)
    for case in project.cases:
        for line in case.description.splitlines():
            found = CITYNET_CASE_LINE.match(line.strip())
            if found:
                lines[f"{case.kind}:{case.guid}"][(found.group("code"), found.group("coder"))] = found.groupdict()
    return lines


def _evidence(selection: ProjectSelection, source: ProjectSource, said_kind: str, choices: Choices, plan: dict) -> dict:
    text = source.text
    heading = CITYNET_HEADING.search(text[: selection.start])
    locator = f"line {text.count(chr(10), 0, selection.start) + 1}"
    kind = said_kind or choices.kind
    original, language = "", ""
    if heading:
        locator = "" if heading.group("locator") == "no locator" else heading.group("locator")
        kind = heading.group("kind").lower()
        after = re.match(r"\nOriginal \((?P<language>[^)\n]*)\): ", text[selection.end :])
        if after:
            tail = text[selection.end + after.end() :]
            stop = tail.find("\n\n[")
            original = (tail[:stop] if stop >= 0 else tail).rstrip("\n")
            language = "" if after.group("language") == "source language" else after.group("language")
    source_kind = plan["kind"]
    visibility = choices.visibility
    if visibility not in Evidence.Visibility.values or visibility == Evidence.Visibility.PARAPHRASE_ONLY:
        restricted = source_kind == Source.Kind.INTERVIEW
        visibility = Evidence.Visibility.RESTRICTED if restricted else Evidence.Visibility.PUBLIC
    return {
        "source": source.guid,
        "text": text[selection.start : selection.end],
        "locator": locator[:100],
        "kind": kind,
        "original_text": original,
        "language": language[:10],
        "visibility": visibility,
        "selection": selection.guid,
    }


def propose(project: Project, choices: Choices) -> Plan:
    """The import of `project` under `choices`, worked out but not written (see the module docstring)."""
    problems = list(project.problems)
    used: dict[str, int] = defaultdict(int)
    unit_counts: dict[str, int] = defaultdict(int)
    unit_names: dict[str, tuple] = {}
    for selection in project.selections:
        for coding in selection.codings:
            used[coding.code] += 1
        for key, name, variables in _units_of(selection, project):
            unit_counts[key] += 1
            unit_names[key] = (name, variables)
    case_lines = _case_lines(project)
    for case in project.cases:
        key = f"{case.kind}:{case.guid}"
        if key in case_lines:
            unit_counts[key] += 0
            unit_names[key] = (case.name, case.variables)
    code_rows, code_targets = _code_rows(project, choices, used)
    unit_rows, cells, cell_problems = _unit_rows(project, choices, unit_counts, unit_names)
    problems += cell_problems
    existing = existing_sources(project)
    sources = {guid: planned_source(source, project, existing) for guid, source in project.sources.items()}
    codes = {
        str(code.pk): code for code in Code.objects.filter(pk__in=[t for t in code_targets.values() if t.isdigit()])
    }
    coders = {guid: choices.coders.get(guid) or name or f"Coder {guid[:8]}" for guid, name in project.users.items()}
    default_coder = choices.default_coder or (next(iter(coders.values())) if len(coders) == 1 else "")
    planned: dict[tuple, PlannedCoding] = {}
    left_out: list[dict] = []
    no_coder = 0
    for selection in project.selections:
        source = project.sources[selection.source]
        if source.text is None or not 0 <= selection.start < selection.end <= len(source.text):
            continue  # already a problem
        said = CITYNET_SELECTION.match(selection.description)
        for coding in selection.codings:
            target = code_targets.get(coding.code, SKIP)
            code_name = project.codes[coding.code].path if coding.code in project.codes else coding.code
            if target == SKIP:
                why = f"code {code_name} left out"
                left_out.append({"selection": selection.guid, "source": source.name, "why": why})
                continue
            coder = coders.get(coding.user or selection.user) or (said.group("coder") if said else "") or default_coder
            if not coder:
                no_coder += 1
                continue
            for key, name, variables in _units_of(selection, project):
                cell = cells.get(key)
                if cell is None:
                    left_out.append({"selection": selection.guid, "source": source.name, "why": f"{name} left out"})
                    continue
                line = case_lines.get(key, {}).get((project.codes[coding.code].name, coder), {})
                found = said.groupdict() if said else line
                texts = [*coding.notes, *selection.notes, selection.description]
                code_label = project.codes[coding.code].name.casefold()
                values = {
                    "salience": found.get("salience")
                    or _said(texts, SALIENCE_SAID)
                    or _variable(variables, f"{code_label} salience"),
                    "outcome": found.get("outcome")
                    or _said(texts, OUTCOME_SAID)
                    or _variable(variables, f"{code_label} outcome").casefold(),
                    "perspective": found.get("perspective") or "",
                    "note": found.get("note") or "",
                    "created": coding.created or selection.created,
                }
                item = _add(planned, cell, codes.get(target), code_name, coder, values, choices)
                said_kind = said.group("kind") if said else ""
                evidence = _evidence(selection, source, said_kind, choices, sources[selection.source])
                if not any(e["text"] == evidence["text"] and e["source"] == evidence["source"] for e in item.evidence):
                    item.evidence.append(evidence)
    # Citynet writes codings without evidence only in its cases' Descriptions.
    names = {code.name: guid for guid, code in project.codes.items() if code.codable}
    for key, lines in case_lines.items():
        for (code_name, coder), found in lines.items():
            target = code_targets.get(names.get(code_name, ""), SKIP)
            if cells.get(key) is not None and target != SKIP:
                code_path = project.codes[names[code_name]].path
                values = found | {"created": ""}
                _add(planned, cells[key], codes.get(target), code_path, coder, values, choices, only_new=True)
    if no_coder:
        problems.append(f"{no_coder} codings name no user: choose the coder they are by.")
    codings = []
    for item in planned.values():
        if item.salience is None and choices.unrated_salience == SKIP:
            left_out.append({"selection": "", "source": "", "why": f"{_describe(item)}: no salience"})
            continue
        if item.salience is None and choices.unrated_salience in ("0", "1", "2", "3"):
            item.salience = int(choices.unrated_salience)
            item.salience_from = "your choice for the import"
            item.note = (item.note + "\n" if item.note else "") + (
                f"Salience not given in the imported project; set to {item.salience} at import."
            )
        codings.append(item)
    return Plan(
        project=project,
        choices=choices,
        code_rows=code_rows,
        coder_rows=[{"guid": guid, "name": project.users[guid], "coder": name} for guid, name in coders.items()],
        unit_rows=unit_rows,
        source_rows=[
            {
                "name": project.sources[guid].name,
                **planned,
                "selections": sum(s.source == guid for s in project.selections),
            }
            for guid, planned in sources.items()
        ],
        sources=sources,
        codings=codings,
        left_out=left_out,
        problems=problems,
        existing_sources=existing,
    )


def _add(
    planned: dict,
    cell: Cell,
    code: Code | None,
    code_name: str,
    coder: str,
    values: dict,
    choices: Choices,
    *,
    only_new: bool = False,
) -> PlannedCoding:
    """The planned coding of a cell, code, perspective and coder, made or found, with `values`
    (salience, outcome, perspective, note, created as the project gives them) taken in."""
    perspective = _perspective(values.get("perspective") or "") or choices.perspective
    if perspective not in Coding.Perspective.values:
        perspective = Coding.Perspective.CITY if cell.city else Coding.Perspective.NETWORK
    key = (cell.city.pk if cell.city else None, cell.network.pk, code.pk if code else code_name, perspective, coder)
    salience = _salience(str(values.get("salience") or ""))
    item = planned.get(key)
    if item is None:
        outcome = values.get("outcome") or ""
        item = planned[key] = PlannedCoding(
            key=key,
            cell=cell,
            code=code,
            new_code=code_name if code is None else "",
            perspective=perspective,
            coder=coder,
            salience=salience,
            salience_from="the project" if salience is not None else "",
            outcome=outcome if outcome in Coding.Outcome.values else "",
            note=(values.get("note") or "").strip(),
            coded_at=parse_datetime(values.get("created") or ""),
        )
    elif not only_new and salience is not None and (item.salience is None or salience > item.salience):
        item.salience, item.salience_from = salience, "the project"
    return item


def _describe(item: PlannedCoding) -> str:
    place = item.cell.city.name if item.cell.city else "(the network as a whole)"
    code = item.code.name if item.code else item.new_code
    return f"{place} × {item.cell.network} × {code} by {item.coder}"
