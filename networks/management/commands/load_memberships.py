import datetime
from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from networks.importing.memberlists import MemberListError
from networks.importing.memberlists import label_lines
from networks.importing.memberlists import memberlist_load
from networks.importing.memberlists import read_decisions
from networks.importing.memberlists import write_report


class Command(BaseCommand):
    help = (
        "Load a member list from CSV, as the admin's membership import does (see the README, "
        "'Importing member lists'). Atomic: a file with any bad row writes nothing, and every bad "
        "row is listed. Idempotent: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--network", help="slug of an existing network (or a network column in the file)")
        parser.add_argument("--listed-on", type=datetime.date.fromisoformat, help="date the list was taken")
        parser.add_argument("--amendments", type=Path, help="CSV of per-member corrections with reasons")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        parser.add_argument("--encoding", help="the file's encoding, when it is not UTF-8 (e.g. latin-1)")
        parser.add_argument("--report", type=Path, help="write each row's place identity to this CSV")
        parser.add_argument("--decisions", type=Path, help="CSV of decisions: name,country,kind,decision")
        parser.add_argument("--mapping", type=Path, help="label mapping CSV for a file of many networks")
        parser.add_argument("--list-column", help="the column listing a row's networks (with --mapping)")
        parser.add_argument("--source", default="", help="the citation of a file of many networks")

    def handle(self, *args, **options):
        path = options["path"]
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        try:
            if options["decisions"]:
                stored = read_decisions(options["decisions"])
                self.stdout.write(f"{stored} place decision(s) stored.")
            report = memberlist_load(
                path=path,
                network_slug=options["network"],
                listed_on=options["listed_on"],
                amendments_path=options["amendments"],
                dry_run=options["dry_run"],
                encoding=options["encoding"],
                mapping_path=options["mapping"],
                list_column=options["list_column"],
                source=options["source"],
                on_labels=self.write_labels,
            )
        except MemberListError as error:
            if error.report is not None and options["report"]:
                self.write_report(options["report"], error.report)
            notices = "\n".join(error.report.notices) + "\n" if error.report else ""
            raise CommandError(f"{path}: nothing written.\n{notices}{error}") from error
        if options["report"]:
            self.write_report(options["report"], report)
        for notice in report.notices:
            self.stdout.write(f"Notice: {notice}")
        prefix = "[dry run] " if options["dry_run"] else ""
        self.stdout.write(prefix + report.summary())

    def write_labels(self, rows: list[dict]) -> None:
        """Rows per label of a file of many networks, printed before anything is written."""
        self.stdout.write(f"Rows per label ({len(rows)} labels):")
        for line in label_lines(rows):
            self.stdout.write(line)
        self.stdout.flush()

    def write_report(self, path: Path, report) -> None:
        labels_path = write_report(path, report.identities, report.labels)
        if labels_path is not None:
            self.stdout.write(f"Rows per label written to {labels_path}.")
