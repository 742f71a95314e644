"""The rules every Citynet import follows (admin import and export, CSV or Excel).

Files are CSV or Excel with a header row. Rows name related things by natural keys
(a city by GeoNames id or name and country, a network by slug, a source by its
citation), never by database ids. An import runs in two steps, as django-import-export
does: a preview (a dry run rolled back at the end) and, once confirmed, the same run
for real. Both follow these rules:

- The whole file is read and checked before any row is saved: missing columns, bad
  values and duplicate rows are found first and reported by row and column.
- Each row is saved with Model.save() in its own savepoint, or, for a resource with
  Meta.use_bulk (memberships), in batches of Meta.batch_size; when the database refuses
  a batch, its rows are saved one by one in savepoints to find the rows it refuses.
  Any invalid row rolls the whole file back: a file with a bad row writes nothing.
- Every change to a model with history (django-simple-history) is recorded with the
  user who imported it and the file's name. The records are written a batch at a time
  (bulk_history_create) rather than by the per-save signal, a write per row; they are
  in the same transaction as the rows, so they stand or fall with them.
- Only the columns a file has are written: a file without a `note` column leaves
  notes alone. A row whose values are already stored is reported as unchanged, so
  importing the same file twice changes nothing.

Exports are safe to open in a spreadsheet, and import back as they were exported. A
text cell that starts with =, +, -, @, a tab or a carriage return (OWASP's list) is
exported with a leading ' so that no spreadsheet runs it as a formula; so is a text
cell that starts with one or more ' before such a character. On import, exactly one
' is taken off a text cell that starts with one or more ' before such a character:
'=1+1 reads as =1+1 and ''=1+1 as '=1+1, while 'quoted and numbers are read as they
are. So export and import are inverses: re-importing an export changes nothing.

Rows are checked with clean_fields() and clean() (full_clean() without the constraint
queries), and the database's constraints are checked at save inside the row's
savepoint: a violated constraint becomes the row's error with the constraint's own
violation_error_message. Django's validate_constraints() would run one query per
constraint per row: for a file of tens of thousands of rows, most of the import's time.
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import models
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html
from import_export import resources
from import_export.results import InvalidRow
from import_export.results import RowResult

from citynet.downloads import FORMULA_PREFIXES
from citynet.downloads import neutralise

# Rows of each kind (new, changed, unchanged) the preview shows in full.
PREVIEW_ROWS = 500
# History records written at once.
HISTORY_BATCH = 1000
TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0"}
NEW, CHANGED, UNCHANGED = RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_SKIP
INVALID = RowResult.IMPORT_TYPE_INVALID


# Text that starts with quotes before a formula character, e.g. '=1+1 or ''@cmd.
QUOTED_FORMULA = re.compile("'+[" + re.escape("".join(FORMULA_PREFIXES)) + "]")


def export_cell(value):
    """A cell of an export: `neutralise`d as the API's CSV is ('=1+1 for =1+1), and text that
    starts with quotes before a formula character gets one more quote, which import removes."""
    if isinstance(value, str) and QUOTED_FORMULA.match(value):
        return "'" + value
    return neutralise(value)


def import_cell(value):
    """A cell of a file as it was before `export_cell`: one ' off '=1+1 and ''=1+1, nothing off
    'quoted, numbers or dates."""
    if isinstance(value, str) and QUOTED_FORMULA.match(value):
        return value[1:]
    return value


class ImportFileError(Exception):
    """The file as a whole cannot be imported: no header row, a missing column..."""


def cell_text(value) -> str:
    """A cell as text, whichever format it came from (Excel gives numbers and dates), without
    the quote an export put before a formula (see `import_cell`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return import_cell(str(value).strip())


def header_name(value) -> str:
    return cell_text(value).lower().replace(" ", "_")


def file_row(number: int) -> int:
    """The row as a spreadsheet shows it: the header is row 1, the first data row is row 2."""
    return number + 1


class RowReader:
    """One row of a file: its cells as text by column, and its problems by column."""

    def __init__(self, row: dict):
        self.values = {column: cell_text(value) for column, value in row.items() if column}
        self.problems: dict[str, list[str]] = defaultdict(list)

    def has(self, column: str) -> bool:
        """Whether the file has this column at all (an empty cell still counts)."""
        return column in self.values

    def text(self, column: str) -> str:
        return self.values.get(column, "")

    def problem(self, column: str, message: str) -> None:
        self.problems[column].append(message)

    def integer(self, column: str) -> int | None:
        text = self.text(column).replace(",", "")
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            self.problem(column, f"'{self.text(column)}' is not a whole number")
            return None

    def number(self, column: str) -> float | None:
        text = self.text(column)
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            self.problem(column, f"'{text}' is not a number")
            return None

    def boolean(self, column: str) -> bool | None:
        text = self.text(column).lower()
        if not text:
            return None
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        self.problem(column, f"'{self.text(column)}' is not yes or no (use true or false)")
        return None

    def choice(self, column: str, choices: type[models.Choices], default: str = "") -> str:
        """A choice by its value or its label, in any case: 'paraphrase' or 'Paraphrase'."""
        text = self.text(column)
        if not text:
            return default
        for value, label in choices.choices:
            if text.lower() in (str(value).lower(), str(label).lower()):
                return value
        self.problem(column, f"'{text}' is not one of {', '.join(str(value) for value in choices.values)}")
        return default

    def date(self, column: str) -> datetime.date | None:
        text = self.text(column)
        if not text:
            return None
        try:
            return datetime.date.fromisoformat(text[:10])
        except ValueError as error:
            self.problem(column, f"'{text}' is not a date (use YYYY-MM-DD): {error}")
            return None


def constraint_violation(model: type[models.Model], error: IntegrityError) -> tuple[str, str]:
    """(field or constraint name, message) for the rule the database says a row broke,
    with the model's own message. SQLite names a unique index by its columns."""
    text = str(error)
    named = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) or ""
    for constraint in model._meta.constraints:
        if constraint.name == named or re.search(rf"\b{re.escape(constraint.name)}\b", text):
            return constraint.name, str(constraint.get_violation_error_message())
    failed = re.search(r"UNIQUE constraint failed: (.+)$", text)
    columns = {part.strip().split(".")[-1] for part in failed.group(1).split(",")} if failed else set()
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and columns == {
            model._meta.get_field(name).column for name in constraint.fields
        }:
            return constraint.name, str(constraint.get_violation_error_message())
    for model_field in model._meta.concrete_fields:
        if model_field.unique and not model_field.primary_key:
            if columns == {model_field.column} or named == f"{model._meta.db_table}_{model_field.column}_key":
                label = model_field.verbose_name
                return model_field.name, f"Another {model._meta.verbose_name} already has this {label}."
    return NON_FIELD_ERRORS, f"The database refused the row: {text}"


@dataclass(slots=True)
class ParsedRow:
    """A file row read and checked: `values` by column, `key` naming what it stands for."""

    number: int
    key: tuple | None = None
    values: dict = field(default_factory=dict)
    problems: dict = field(default_factory=dict)


@dataclass(slots=True)
class PreviewRow:
    """A row as the preview shows it: each cell with its stored value if that differs."""

    number: int
    import_type: str
    cells: list

    def html(self) -> list[str]:
        return [
            format_html("<del>{}</del> <ins>{}</ins>", shorten(old), shorten(new)) if old is not None else shorten(new)
            for new, old in self.cells
        ]


def shorten(value, length: int = 60) -> str:
    """A long cell (a citation, a note) cut for the preview table, whole on hover."""
    text = str(value)
    if len(text) <= length:
        return format_html("{}", text)
    return format_html('<span title="{}">{}…</span>', text, text[: length - 1])


class CitynetResource(resources.ModelResource):
    """Import by natural keys with a whole-file check first; see the module docstring.

    A subclass declares one Field per column (the export columns, in order) and sets
    `required_columns` and `extra_columns` (accepted on import only). It implements
    `parse_row` (cells to values and problems, no writes), `find_instance`, `apply`
    (values onto the instance, creating related rows if needed) and `cells` (a row for
    export and the preview); `prepare`, `state` and `after_save` are optional hooks.
    """

    required_columns: frozenset = frozenset()
    extra_columns: frozenset = frozenset()
    #: model field or constraint name -> the column to report its errors under
    error_columns: dict[str, str] = {}

    class Meta:
        skip_unchanged = True
        report_skipped = True
        # The preview's diff is built here (after_import_row), for the rows it shows.
        skip_diff = True
        # Bulk saves would bypass Model.save() and so the history.
        use_bulk = False

    def __init__(self, **kwargs):
        super().__init__()
        self.rows: dict[int, ParsedRow] = {}
        self.current: ParsedRow | None = None
        self.before: tuple | None = None
        self.before_cells: dict | None = None
        self.last_instance: models.Model | None = None
        self.preview: dict[str, list[PreviewRow]] = {NEW: [], CHANGED: [], UNCHANGED: []}
        self.change_reason = "import"
        self.history_user = None
        # (model, history type) -> instances saved and not yet recorded
        self.unrecorded: dict[tuple[type[models.Model], str], list[models.Model]] = defaultdict(list)
        # In bulk mode: the row of each instance waiting for its batch, and the rows the database refused.
        self.row_of_instance: dict[int, int] = {}
        self.row_results: dict[int, RowResult] = {}
        self.refused: dict[int, tuple[ValidationError, RowResult]] = {}

    @classmethod
    def columns(cls) -> list[str]:
        """The export columns, in order (a subclass lists them in Meta.fields)."""
        return list(cls._meta.fields)

    @classmethod
    def import_help(cls) -> dict[str, list[str]]:
        optional = [column for column in cls.columns() if column not in cls.required_columns]
        return {"required": sorted(cls.required_columns), "optional": optional + sorted(cls.extra_columns)}

    # --- the whole file ---------------------------------------------------------

    def import_data(self, dataset, **kwargs):
        # Whoever calls (the admin's confirm step does not ask for it), an invalid row
        # rolls back the whole file.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)

    def before_import(self, dataset, **kwargs):
        file_name = kwargs.get("file_name")
        self.change_reason = f"import of {file_name}" if file_name else "import"
        self.history_user = kwargs.get("user")
        try:
            self.check_columns(dataset)
            self.prepare(dataset, **kwargs)
            self.read_rows(dataset)
        except ImportFileError:
            # Nothing of the file is processed; the message is the import's only error.
            dataset.wipe()
            raise

    def check_columns(self, dataset) -> None:
        if not dataset.headers or not any(header_name(header) for header in dataset.headers):
            raise ImportFileError("The file has no header row: its first row must name the columns.")
        headers = [header_name(header) for header in dataset.headers]
        repeated = sorted({header for header in headers if header and headers.count(header) > 1})
        if repeated:
            raise ImportFileError(f"The file has these columns twice: {', '.join(repeated)}.")
        known = set(self.columns()) | self.extra_columns
        unknown = [header for header in headers if header and header not in known]
        if unknown:
            raise ImportFileError(
                f"Unknown column(s): {', '.join(unknown)}. The columns this import reads are: "
                f"{', '.join(self.columns() + sorted(self.extra_columns))}."
            )
        missing = sorted(self.required_columns - set(headers))
        if missing:
            raise ImportFileError(
                f"Missing column(s): {', '.join(missing)}. "
                f"Every file needs: {', '.join(sorted(self.required_columns))}."
            )
        dataset.headers = headers

    def read_rows(self, dataset) -> None:
        """Parse every row and mark the rows that repeat an earlier one."""
        first_row_with_key: dict[tuple, int] = {}
        for number, values in enumerate(dataset, start=1):
            reader = RowReader(dict(zip(dataset.headers, values, strict=False)))
            parsed = self.parse_row(number, reader)
            if parsed.key is not None and not reader.problems:
                if parsed.key in first_row_with_key:
                    first = first_row_with_key[parsed.key]
                    reader.problem(self.duplicate_column, f"repeats row {file_row(first)}: {self.describe(parsed)}")
                else:
                    first_row_with_key[parsed.key] = number
            parsed.problems = dict(reader.problems)
            self.rows[number] = parsed
        self.after_read()

    duplicate_column = NON_FIELD_ERRORS

    def describe(self, parsed: ParsedRow) -> str:
        return "the same record twice in one file"

    def after_import(self, dataset, result, **kwargs):
        self.record_history()
        self.report_refused(dataset, result)
        super().after_import(dataset, result, **kwargs)
        labels = {NEW: "New", CHANGED: "Changed", UNCHANGED: "Unchanged"}
        result.preview_groups = [
            {"label": labels[kind], "total": result.totals[kind], "rows": rows}
            for kind, rows in self.preview.items()
            if rows
        ]

    # --- one row ----------------------------------------------------------------

    def before_import_row(self, row, **kwargs):
        # A row is needed once: letting it go keeps a large file's memory down.
        self.current = self.rows.pop(kwargs["row_number"])
        if self.current.problems:
            raise ValidationError(self.current.problems)

    def get_or_init_instance(self, instance_loader, row):
        return self.find_instance(self.current)

    def after_init_instance(self, instance, new, row, **kwargs):
        self.before = None if new else self.state(instance)
        showing_changes = len(self.preview[CHANGED]) < PREVIEW_ROWS
        self.before_cells = None if new or not showing_changes else self.cells(instance)

    def import_instance(self, instance, row, **kwargs):
        self.last_instance = instance
        self.apply(instance, self.current)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        return not import_validation_errors and self.before is not None and self.state(instance) == self.before

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        related = [f.name for f in instance._meta.concrete_fields if f.is_relation]
        try:
            # Related rows were found or made by the import itself; the database checks
            # the constraints at save (see the module docstring).
            instance.full_clean(exclude=related, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(self.error_columns.get(name, name), []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance, is_create):
        self.save_checked(instance)

    def before_save_instance(self, instance, row, **kwargs):
        if self._meta.use_bulk:
            self.row_of_instance[id(instance)] = self.current.number

    # --- bulk mode ----------------------------------------------------------------

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self.write_batch(self.create_instances, created=True)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self.write_batch(self.update_instances, created=False)

    def write_batch(self, pending: list, *, created: bool) -> None:
        """Write a batch of rows in one statement; if the database refuses it, save the
        rows one at a time to learn which it refuses and why."""
        batch, rows = list(pending), {id(instance): self.row_of_instance.pop(id(instance)) for instance in pending}
        results = {number: self.row_results.pop(number) for number in rows.values()}
        pending.clear()
        if not batch:
            return
        model, database = self._meta.model, self.get_db_connection_name()
        try:
            with transaction.atomic(using=database):
                if created:
                    model.objects.using(database).bulk_create(batch)
                else:
                    now = timezone.now()
                    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
                    for instance in batch:
                        for auto in (f for f in fields if getattr(f, "auto_now", False)):
                            setattr(instance, auto.attname, now)
                    names = [f.name for f in fields if not getattr(f, "auto_now_add", False)]
                    model.objects.using(database).bulk_update(batch, names)
        except IntegrityError:
            for instance in batch:
                if created:
                    instance.pk, instance._state.adding = None, True
                try:
                    with transaction.atomic(using=database):
                        self.save_checked(instance)
                except ValidationError as error:
                    number = rows[id(instance)]
                    self.refused[number] = error, results[number]
            return
        if hasattr(model._meta, "simple_history_manager_attribute"):
            for instance in batch:
                instance._change_reason = self.change_reason
            self.unrecorded[(model, "+" if created else "~")].extend(batch)
            self.record_history()

    def report_refused(self, dataset, result) -> None:
        """Rows the database refused in a batch become invalid rows, as if refused alone."""
        for number, (error, row_result) in sorted(self.refused.items()):
            result.totals[row_result.import_type] -= 1
            result.totals[INVALID] += 1
            row_result.import_type, row_result.validation_error = INVALID, error
            row = dict(zip(dataset.headers, dataset[number - 1], strict=False))
            values = tuple(row.get(column, "---") for column in result.diff_headers)
            result.invalid_rows.append(InvalidRow(number=number, validation_error=error, values=values))
        if self.refused:
            result.invalid_rows.sort(key=lambda row: row.number)

    def save_checked(self, instance: models.Model, error_columns: dict[str, str] | None = None) -> None:
        """Save; a broken database rule becomes this row's error, with the rule's message.

        Every row runs in its own savepoint (import-export's, per row), which is rolled
        back when the row fails, so the rest of the file goes on in a sound transaction.
        """
        error_columns = self.error_columns if error_columns is None else error_columns
        history = hasattr(instance._meta, "simple_history_manager_attribute")
        created = instance.pk is None
        if history:
            instance.skip_history_when_saving = True
        try:
            instance.save()
        except IntegrityError as error:
            name, message = constraint_violation(type(instance), error)
            column = error_columns.get(name) or (name if name in self.columns() else NON_FIELD_ERRORS)
            raise ValidationError({column: [message]}) from None
        finally:
            if history:
                del instance.skip_history_when_saving
        if history:
            instance._change_reason = self.change_reason
            self.unrecorded[(type(instance), "+" if created else "~")].append(instance)
            if sum(len(instances) for instances in self.unrecorded.values()) >= HISTORY_BATCH:
                self.record_history()

    def record_history(self) -> None:
        """Write the history records of the rows saved since the last batch."""
        for (model, history_type), instances in self.unrecorded.items():
            model.history.bulk_history_create(
                instances,
                update=history_type == "~",
                default_user=self.history_user,
                default_change_reason=self.change_reason,
            )
        self.unrecorded.clear()

    def after_save_instance(self, instance, row, **kwargs):
        self.after_save(instance, self.current)

    def after_import_row(self, row, row_result, **kwargs):
        if self._meta.use_bulk and row_result.import_type in (NEW, CHANGED):
            # Its batch is written later; keep its result in case the database refuses it.
            self.row_results[self.current.number] = row_result
        shown = self.preview.get(row_result.import_type)
        if shown is None or len(shown) >= PREVIEW_ROWS:
            return
        after = self.cells(self.last_instance)
        before = self.before_cells if row_result.import_type == CHANGED else None
        cells = [
            (after[column], before[column] if before is not None and before[column] != after[column] else None)
            for column in self.columns()
        ]
        shown.append(PreviewRow(number=file_row(self.current.number), import_type=row_result.import_type, cells=cells))

    # --- export -----------------------------------------------------------------

    def export_resource(self, instance, selected_fields=None, **kwargs):
        values = self.cells(instance)
        fields = self.get_export_fields(selected_fields)
        return [export_cell(values[resource_field.column_name]) for resource_field in fields]

    # --- what a subclass provides -------------------------------------------------

    def prepare(self, dataset, **kwargs) -> None:
        """Load what the rows refer to, once for the whole file."""

    def after_read(self) -> None:
        """Every row is parsed: add what several rows refer to (e.g. new places) at once."""

    def parse_row(self, number: int, reader: RowReader) -> ParsedRow:
        raise NotImplementedError

    def find_instance(self, parsed: ParsedRow) -> tuple[models.Model, bool]:
        raise NotImplementedError

    def apply(self, instance: models.Model, parsed: ParsedRow) -> None:
        raise NotImplementedError

    def cells(self, instance: models.Model) -> dict:
        raise NotImplementedError

    def state(self, instance: models.Model) -> tuple:
        """What decides whether a row changed anything: the stored field values."""
        return tuple(
            getattr(instance, f.attname)
            for f in instance._meta.concrete_fields
            if not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)
        )

    def after_save(self, instance: models.Model, parsed: ParsedRow) -> None:
        """Write what belongs to the row beside its instance (evidence, many-to-many)."""
