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
    def __init__(self, plan: Plan, user, reason: str):
        self.plan, self.user, self.reason = plan, user, reason
        self.counts: Counter = Counter()
        self.sources: dict[str, Source] = {}
        self.coders: dict[str, Coder] = {}
        self.new_codes: dict[str, Code] = {}
        self.version: CodebookVersion | None = None

    def _save(self, instance) -> None:
        instance.full_clean()
        instance._change_reason = self.reason
        if self.user is not None:
            instance._history_user = self.user
        instance.save()

    def source(self, guid: str) -> Source:
        if guid not in self.sources:
            planned = self.plan.sources[guid]
            if planned["existing"] is not None:
                self.sources[guid] = planned["existing"]
            else:
                source = Source(citation=planned["citation"], **{name: planned[name] for name in SOURCE_FIELDS})
                self._save(source)
                self.counts["sources created"] += 1
                self.sources[guid] = source
        return self.sources[guid]

    def coder(self, name: str) -> Coder:
        if name not in self.coders:
            coder = Coder.objects.filter(name=name).first()
            if coder is None:
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
                self.version = _new_version(self.plan.project.name)
            path = item.new_code.split(" \\ ")
            kinds = {_kind_key(str(label)): value for value, label in Code.Kind.choices}
            kind = next((kinds[_kind_key(part)] for part in path[:-1] if _kind_key(part) in kinds), Code.Kind.FUNCTION)
            base = slugify(path[-1])[:45] or "code"
            slug, number = base, 1
            while self.version.codes.filter(code=slug).exists():
                number += 1
                slug = f"{base}-{number}"
            code = Code(
                version=self.version,
                code=slug,
                name=path[-1][:200],
                kind=kind,
                position=self.version.codes.count() + 1,
                definition=f"Imported from the coded project {self.plan.project.name!r} ({item.new_code}).",
            )
            self._save(code)
            self.counts["codes created"] += 1
            self.new_codes[item.new_code] = code
        return self.new_codes[item.new_code]

    def coding(self, item: PlannedCoding) -> None:
        code, coder = self.code(item), self.coder(item.coder)
        coding = Coding.objects.filter(
            city=item.cell.city, network=item.cell.network, code=code, perspective=item.perspective, coder=coder
        ).first()
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
        item = Evidence.objects.filter(coding=coding, source=source, text=planned["text"]).first()
        if item is None:
            item = Evidence(coding=coding, source=source, text=planned["text"])
            for name in EVIDENCE_FIELDS:
                setattr(item, name, planned[name])
            self._save(item)
            self.counts["evidence created"] += 1
            return
        values = {name: planned[name] for name in EVIDENCE_FIELDS if planned[name]}
        if any(getattr(item, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(item, name, value)
            self._save(item)
            self.counts["evidence updated"] += 1
        else:
            self.counts["evidence unchanged"] += 1


def _new_version(project_name: str) -> CodebookVersion:
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
    version.full_clean()
    version.save()
    return version


def project_import(*, plan: Plan, user=None, file_name: str = "", dry_run: bool = False) -> dict[str, int]:
    """Write `plan` (from `mapping.propose`) in one transaction and remember its choices.

    Returns counts: {"codings created", "codings updated", "codings unchanged", "evidence
    created", ..., "sources created", "coders created", "codes created"}. Raises
    ImportRefused (nothing written) when the plan has problems. With `dry_run` everything is
    rolled back: the counts say what a real import would do.
    """
    if plan.problems:
        raise ImportRefused(plan.problems)
    with transaction.atomic():
        writer = _Writer(plan, user, f"import of {file_name or plan.project.name}")
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
        if dry_run:
            transaction.set_rollback(True)
    return dict(writer.counts)
