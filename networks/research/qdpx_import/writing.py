"""Writing a planned REFI-QDA project import: one transaction, all or nothing.

Codings are found by their cell, code, perspective and coder and created or updated;
evidence by its coding, source and text. A value the project does not give (a note, an
outcome) never overwrites one already stored, so importing the same file twice changes
nothing, and a second coder's project adds that coder's codings beside the first's.
"""

from collections import Counter

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from networks.models import Code
from networks.models import CodebookVersion
from networks.models import Coder
from networks.models import Coding
from networks.models import Evidence
from networks.models import ProjectImportMapping
from networks.models import Source
from networks.research.qdpx_import.mapping import Plan
from networks.research.qdpx_import.mapping import PlannedCoding
from networks.research.refi import _kind_key

EVIDENCE_FIELDS = ["locator", "kind", "original_text", "language", "visibility"]
SOURCE_FIELDS = ["kind", "label", "interview_number", "organisation", "informant_role", "year", "url"]


class ImportRefused(Exception):
    """The plan has problems: nothing is written. `problems` lists them."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class _Writer:
    """Writes a plan or, with `dry_run`, only counts what it would write. What is stored
    already (coders, the codings of the plan's codes and coders, their evidence) is read up
    front, so a preview costs the same few queries for 4 selections as for 4,000."""

    def __init__(self, plan: Plan, user, reason: str, *, dry_run: bool = False):
        self.plan, self.user, self.reason, self.dry_run = plan, user, reason, dry_run
        self.counts: Counter = Counter()
        self.sources: dict[str, Source] = dict(plan.existing_sources)  # by citation
        self.making: set[str] = set()
        self.new_codes: dict[str, Code] = {}
        self.version: CodebookVersion | None = None
        names = {item.coder for item in plan.codings}
        codes = {item.code.pk for item in plan.codings if item.code is not None}
        self.coders = {coder.name: coder for coder in Coder.objects.filter(name__in=names)} if names else {}
        stored = list(Coding.objects.filter(coder__name__in=names, code__in=codes)) if codes else []
        names_by_pk = {coder.pk: name for name, coder in self.coders.items()}
        self.codings = {(c.city_id, c.network_id, c.code_id, c.perspective, names_by_pk[c.coder_id]): c for c in stored}
        source_pks = [source.pk for source in self.sources.values()]
        evidence = Evidence.objects.filter(coding__in=stored, source__in=source_pks) if stored and source_pks else []
        self.evidence_found = {(_id(item.coding_id), _id(item.source_id), item.text): item for item in evidence}

    def _save(self, instance) -> None:
        if self.dry_run:
            # Only the rules of the fields themselves: related rows, uniqueness and constraints cost a query each.
            relations = [field.name for field in instance._meta.fields if field.is_relation]
            instance.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)
            return
        instance.full_clean()
        instance._change_reason = self.reason
        if self.user is not None:
            instance._history_user = self.user
        instance.save()

    def source(self, guid: str) -> Source:
        planned = self.plan.sources[guid]
        if planned["existing"] is not None:
            return planned["existing"]
        citation = planned["citation"]
        if citation not in self.sources:
            self.making.add(citation)
            source = Source(citation=citation, **{name: planned[name] for name in SOURCE_FIELDS})
            if planned["part_of"]:
                source.part_of = self.study(planned["part_of"])
            self._save(source)
            self.counts["sources created"] += 1
            self.sources[citation] = source
        return self.sources[citation]

    def study(self, citation: str) -> Source | None:
        """The study a source is part of: stored, in the project, or made from its citation."""
        if citation in self.making:
            return None  # a source cannot be part of itself, however many steps round
        if citation in self.sources:
            return self.sources[citation]
        guid = next((guid for guid, planned in self.plan.sources.items() if planned["citation"] == citation), None)
        if guid is not None:
            return self.source(guid)
        study = Source(citation=citation, kind=Source.Kind.STUDY)
        self._save(study)
        self.counts["sources created"] += 1
        self.sources[citation] = study
        return study

    def coder(self, name: str) -> Coder:
        if name not in self.coders:
            coder = Coder(name=name[:200], description=f"Coder of an imported project: {self.plan.project.name}")
            self._save(coder)
            self.counts["coders created"] += 1
            self.coders[name] = coder
        return self.coders[name]

    def code(self, item: PlannedCoding) -> Code:
        if item.code is not None:
            return item.code
        if item.new_code not in self.new_codes:
            if self.version is None:
                self.version = _new_version(self.plan.project.name, save=not self.dry_run)
            path = item.new_code.split(" \\ ")
            kinds = {_kind_key(str(label)): value for value, label in Code.Kind.choices}
            kind = next((kinds[_kind_key(part)] for part in path[:-1] if _kind_key(part) in kinds), Code.Kind.FUNCTION)
            base = slugify(path[-1])[:45] or "code"
            slug, number = base, 1
            # The version is new: its only codes are those made here.
            while any(code.code == slug for code in self.new_codes.values()):
                number += 1
                slug = f"{base}-{number}"
            code = Code(
                version=self.version,
                code=slug,
                name=path[-1][:200],
                kind=kind,
                position=len(self.new_codes) + 1,
                definition=f"Imported from the coded project {self.plan.project.name!r} ({item.new_code}).",
            )
            self._save(code)
            self.counts["codes created"] += 1
            self.new_codes[item.new_code] = code
        return self.new_codes[item.new_code]

    def coding(self, item: PlannedCoding) -> None:
        code, coder = self.code(item), self.coder(item.coder)
        coding = self.codings.get(item.key) if item.code is not None else None
        if coding is None:
            coding = Coding(
                city=item.cell.city,
                network=item.cell.network,
                code=code,
                perspective=item.perspective,
                coder=coder,
                salience=item.salience,
                outcome=item.outcome,
                note=item.note,
            )
            if item.coded_at is not None:
                coding.coded_at = item.coded_at
            self._save(coding)
            self.counts["codings created"] += 1
        else:
            before = (coding.salience, coding.outcome, coding.note)
            # A salience the editor gave for the whole import never overrides one already coded.
            if item.salience_from == "the project":
                coding.salience = item.salience
                coding.note = item.note or coding.note
            coding.outcome = item.outcome or coding.outcome
            if (coding.salience, coding.outcome, coding.note) != before:
                self._save(coding)
                self.counts["codings updated"] += 1
            else:
                self.counts["codings unchanged"] += 1
        for planned in item.evidence:
            self.evidence(coding, planned)

    def evidence(self, coding: Coding, planned: dict) -> None:
        source = self.source(planned["source"])
        key = (_id(coding.pk, coding), _id(source.pk, source), planned["text"])
        item = self.evidence_found.get(key)
        if item is None:
            item = Evidence(coding=coding, source=source, text=planned["text"])
            for name in EVIDENCE_FIELDS:
                setattr(item, name, planned[name])
            self._save(item)
            self.counts["evidence created"] += 1
            self.evidence_found[key] = item
            return
        values = {name: planned[name] for name in EVIDENCE_FIELDS if planned[name]}
        if any(getattr(item, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(item, name, value)
            self._save(item)
            self.counts["evidence updated"] += 1
        else:
            self.counts["evidence unchanged"] += 1


def _id(pk: int | None, instance=None) -> int | tuple:
    """A row's key: its pk, or for one not saved (a dry run) the object itself."""
    return pk if pk is not None else ("unsaved", id(instance))


def _new_version(project_name: str, *, save: bool) -> CodebookVersion:
    today = timezone.localdate()
    label, number = f"import-{today.isoformat()}", 1
    while CodebookVersion.objects.filter(label=label).exists():
        number += 1
        label = f"import-{today.isoformat()}-{number}"
    version = CodebookVersion(
        label=label,
        released=today,
        is_current=False,
        description=f"Codes of the coded project {project_name!r} that had no counterpart in the codebook.",
    )
    version.full_clean(validate_unique=save, validate_constraints=save)
    if save:
        version.save()
    return version


def project_import(*, plan: Plan, user=None, file_name: str = "", dry_run: bool = False) -> dict[str, int]:
    """Write `plan` (from `mapping.propose`) in one transaction and remember its choices.

    Returns counts: {"codings created", "codings updated", "codings unchanged", "evidence
    created", ..., "sources created", "coders created", "codes created"}. Raises
    ImportRefused (nothing written) when the plan has problems. With `dry_run` nothing is
    written and the choices are not remembered: the counts say what a real import would do
    (the rules that need the database, such as uniqueness, are checked only by the import).
    """
    if plan.problems:
        raise ImportRefused(plan.problems)
    reason = f"import of {file_name or plan.project.name}"
    if dry_run:
        writer = _Writer(plan, user, reason, dry_run=True)
        for item in plan.codings:
            writer.coding(item)
        return dict(writer.counts)
    with transaction.atomic():
        writer = _Writer(plan, user, reason)
        for item in plan.codings:
            writer.coding(item)
        ProjectImportMapping.objects.update_or_create(
            key=plan.project.key,
            defaults={
                "project_name": plan.project.name[:200],
                "origin": plan.project.origin[:200],
                "choices": plan.choices.as_json(),
                "updated_by": user if user is not None and user.pk else None,
            },
        )
    return dict(writer.counts)
