import datetime
from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from networks.importing.memberlists import MemberListError
from networks.importing.memberlists import memberlist_load


class Command(BaseCommand):
    help = (
        "Load a network's member list from CSV (see fixtures/memberships/README.md for the columns). "
        "Atomic: a file with any bad row writes nothing. Idempotent: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--network", required=True, help="slug of an existing network")
        parser.add_argument("--listed-on", type=datetime.date.fromisoformat, help="date the list was taken")
        parser.add_argument("--amendments", type=Path, help="CSV of per-member corrections with reasons")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")

    def handle(self, *args, **options):
        if not options["path"].exists():
            raise CommandError(f"{options['path']}: no such file")
        try:
            report = memberlist_load(
                path=options["path"],
                network_slug=options["network"],
                listed_on=options["listed_on"],
                amendments_path=options["amendments"],
                dry_run=options["dry_run"],
            )
        except MemberListError as error:
            raise CommandError(f"{options['path']}: nothing written.\n{error}") from error
        prefix = "[dry run] " if options["dry_run"] else ""
        self.stdout.write(prefix + report.summary())
