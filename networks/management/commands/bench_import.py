import tempfile
import tracemalloc
from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.db import connection
from django.db import transaction
from django.test import override_settings

from networks.tooling.import_benchmark import ImportBenchmark
from networks.tooling.import_benchmark import Rollback
from networks.tooling.import_benchmark import measure_file
from networks.tooling.import_benchmark import write_member_list


class Command(BaseCommand):
    help = (
        "Measure the admin's membership import at scale: make a synthetic member list, then run "
        "the admin's preview and import views on it and print seconds and peak memory. Writes to "
        "the configured database inside one transaction and rolls it back at the end; still, run "
        "it on a throwaway database, not on one in use."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=50_000, help="rows in the synthetic file (default 50,000)")
        parser.add_argument(
            "--tracemalloc",
            action="store_true",
            help="also report Python's own peak allocations (slows the run down)",
        )
        parser.add_argument("--file", type=Path, help="measure this real file of many networks instead (ClimActor)")
        parser.add_argument("--mapping", type=Path, help="its label mapping (with --file)")
        parser.add_argument("--list-column", default="initiatives_committed", help="its column of labels")
        parser.add_argument("--source", default="", help="its citation")
        parser.add_argument("--decide-new", action="store_true", help="decide every doubtful place as a new place")
        parser.add_argument(
            "--take-held-kind",
            action="store_true",
            help="with --decide-new: a row whose only doubt is its kind (a city in the file, a body of that "
            "name held) is decided as the place held",
        )

    def handle(self, *args, **options):
        if options["file"]:
            return self.measure_file(options)
        rows = options["rows"]
        if rows < 1:
            raise CommandError("--rows must be at least 1")
        database = connection.settings_dict
        self.stderr.write(
            f"Writes to the configured database ({connection.vendor}: {database['NAME']}) and rolls back at the end."
        )
        if options["tracemalloc"]:
            tracemalloc.start()
        with tempfile.TemporaryDirectory(prefix="citynet-bench-") as folder:
            path = Path(folder) / "synthetic_members.csv"
            write_member_list(path, rows)
            self.stdout.write(f"{rows:,} synthetic rows in {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
            try:
                # As in production: with DEBUG on, Django would also log every query.
                with override_settings(DEBUG=False), transaction.atomic():
                    ImportBenchmark(self.stdout.write).run(path, rows)
                    raise Rollback
            except Rollback:
                self.stdout.write("Rolled back: the database is as it was.")

    def measure_file(self, options):
        database = connection.settings_dict
        self.stderr.write(f"Writes to {connection.vendor}: {database['NAME']} and rolls back at the end.")
        try:
            with override_settings(DEBUG=False), transaction.atomic():
                measure_file(
                    options["file"],
                    mapping=options["mapping"],
                    list_column=options["list_column"],
                    source=options["source"] or options["file"].name,
                    decide_new=options["decide_new"],
                    take_held_kind=options["take_held_kind"],
                    write=self.stdout.write,
                )
                raise Rollback
        except Rollback:
            self.stdout.write("Rolled back: the database is as it was.")
