import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from networks.models import Evidence
from networks.research.qdpx_import import LIMITS
from networks.research.qdpx_import import ImportRefused
from networks.research.qdpx_import import ProjectRefused
from networks.research.qdpx_import import project_import
from networks.research.qdpx_import import propose
from networks.research.qdpx_import import read_upload
from networks.research.qdpx_import import remembered_choices
from networks.research.qdpx_import.mapping import NEW
from networks.research.qdpx_import.mapping import SKIP
from networks.research.qdpx_import.reading import normal_guid

UNSET = "unset"


class Command(BaseCommand):
    help = (
        "Import a coded REFI-QDA project (.qdpx, or a bare project.qde) into codings with evidence: shows what "
        "maps to what, then writes it all in one transaction (nothing if anything is wrong). The choices are "
        f"remembered for the next import of the same project. Limits: {LIMITS}."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="show the preview and write nothing")
        parser.add_argument("--mapping", type=Path, help="a JSON file of choices (the fields of mapping.Choices)")
        parser.add_argument("--network", help="slug of the network of cases named by a place only")
        parser.add_argument("--coder", help="the coder of selections no user is named on")
        parser.add_argument(
            "--cell",
            action="append",
            default=[],
            metavar="UNIT=CITY@NETWORK",
            help="map a case, set or source (its key, as the preview lists it) to city-slug@network-slug, "
            "-@network-slug (the network as a whole) or skip; repeatable",
        )
        parser.add_argument(
            "--code",
            action="append",
            default=[],
            metavar="GUID=TARGET",
            help="map a project code to a code id, new or skip",
        )
        parser.add_argument("--unmatched-codes", choices=[SKIP, NEW], help="what codes with no match become")
        parser.add_argument("--visibility", choices=["default", "public", "restricted"])
        parser.add_argument("--kind", choices=Evidence.Kind.values)
        parser.add_argument("--perspective", help="city, network or researcher (default: from the case)")
        parser.add_argument(
            "--unrated-salience",
            choices=[UNSET, SKIP, "0", "1", "2", "3"],
            help=f"for codings the project gives no salience: {UNSET} (the default: imported not rated), "
            f"{SKIP} (left out) or a salience to record them with",
        )

    def handle(self, *args, **options):
        path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            project = read_upload(path.read_bytes(), file_name=path.name)
        except ProjectRefused as error:
            raise CommandError(f"{path}: nothing imported. {error}") from error
        choices = remembered_choices(project)
        if options["mapping"]:
            try:
                given = json.loads(options["mapping"].read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise CommandError(f"{options['mapping']}: not a JSON file of choices ({error})") from error
            choices = type(choices).from_json(choices.as_json() | given)
        for option, name in [
            ("network", "network"),
            ("coder", "default_coder"),
            ("visibility", "visibility"),
            ("kind", "kind"),
            ("perspective", "perspective"),
            ("unrated_salience", "unrated_salience"),
        ]:
            if options[option]:
                setattr(choices, name, "" if options[option] == UNSET else options[option])
        for given, target in [(options["cell"], choices.cells), (options["code"], choices.codes)]:
            for pair in given:
                key, _equals, value = pair.partition("=")
                prefix, _colon, guid = key.strip().rpartition(":")
                target[f"{prefix}:{normal_guid(guid)}" if prefix else normal_guid(guid)] = value.strip()
        plan = propose(project, choices)
        if options["unmatched_codes"]:
            for row in plan.code_rows:
                if row["how"].startswith("no match"):
                    choices.codes[row["guid"]] = options["unmatched_codes"]
            plan = propose(project, choices)
        self.show(plan)
        try:
            counts = project_import(plan=plan, file_name=path.name, dry_run=options["dry_run"])
        except ImportRefused as error:
            problems = "\n".join(f"  - {problem}" for problem in error.problems)
            raise CommandError(f"{path}: nothing imported.\n{problems}") from error
        except ValidationError as error:
            raise CommandError(f"{path}: nothing imported. {'; '.join(error.messages)}") from error
        done = ", ".join(f"{count} {what}" for what, count in sorted(counts.items())) or "nothing to write"
        self.stdout.write(f"{'Would write' if options['dry_run'] else 'Imported'}: {done}.")

    def show(self, plan) -> None:
        project, write = plan.project, self.stdout.write
        write(f"Project {project.name!r} from {project.origin or 'an unnamed tool'}")
        if project.schema_errors:
            write(f"Schema (REFI-QDA 1.0 Project): {len(project.schema_errors)} problems, imported as far as readable:")
            for error in project.schema_errors[:20]:
                write(f"  {error}")
        else:
            write("Schema (REFI-QDA 1.0 Project): valid")
        write("Codes:")
        for row in plan.code_rows:
            write(
                f"  {row['path']} [{row['guid']}] -> {row['target_label']} ({row['how']}; {row['selections']} selected)"
            )
        write("Coders:")
        for row in plan.coder_rows:
            write(f"  {row['name']} -> {row['coder']}")
        write("Cases:")
        for row in plan.unit_rows:
            write(
                f"  {row['key']} {row['name']!r} -> {row['target'] or '?'} ({row['how']}; {row['selections']} selected)"
            )
        write("Sources:")
        for row in plan.source_rows:
            state = "existing" if row["existing"] else f"new {row['kind']}"
            write(f"  {row['name']} -> {state}: {row['citation'][:80]}")
        for item in project.not_carried:
            write(f"Not carried ({item['what']}): {item['source']} {item['selection']} {', '.join(item['codes'])}")
        for item in plan.left_out:
            write(f"Left out: {item['why']} {item['source']}".rstrip())
        if plan.unrated:
            write(f"Not rated: {plan.unrated} codings have no salience in the project and come in with none.")
