import json
from pathlib import Path

from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from networks.tooling import benchmark
from networks.tooling import datasette_benchmark


class Command(BaseCommand):
    help = (
        "Time Citynet's heaviest pages and API endpoints on the data in the database (p50 and p95 server "
        "latency, in process with Django's test client) and built from an empty cache (cold, as after a write), "
        "each against the raw SQL that fetches the same rows, and mark each target met or not: issue 6's for "
        "repeated requests, issue 15's for cold ones. With --datasette, instead: uncached API list pages against "
        "Datasette serving an SQLite copy of the same data (issue 14). Read-only. Load data first: load_citynet, "
        "generate_synthetic."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20, help="timed requests per case (default 20)")
        parser.add_argument(
            "--budget", type=float, default=20.0, help="seconds per case after which fewer requests are timed"
        )
        parser.add_argument(
            "--cold",
            type=int,
            default=5,
            help="requests per case timed with the cache emptied first (default 5, 0: none)",
        )
        parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
        parser.add_argument("--only", nargs="*", help="time only the cases whose names contain these words")
        parser.add_argument(
            "--datasette",
            action="store_true",
            help="compare uncached pages of 50 (memberships, codings, cities, evidence) with Datasette on an SQLite "
            "copy of the data, both over HTTP (Citynet under gunicorn), each beside its raw-SQL floor",
        )
        parser.add_argument(
            "--pages", type=int, default=100, help="with --datasette: distinct pages timed per case (default 100)"
        )
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="with --datasette: Citynet through Django's test client in this process instead of gunicorn",
        )

    def handle(self, *args, **options):
        if options["repeat"] < 1:
            raise CommandError("--repeat must be at least 1")
        if isinstance(staticfiles_storage, ManifestFilesMixin) and not staticfiles_storage.exists(
            staticfiles_storage.manifest_name
        ):
            raise CommandError(
                "Pages are served as in production, with hashed static file names: run "
                "`manage.py collectstatic --noinput` first."
            )
        if options["datasette"]:
            self.compare_with_datasette(options)
            return
        try:
            report = benchmark.run(
                repeat=options["repeat"],
                budget=options["budget"],
                cold=options["cold"],
                only=options["only"],
                progress=self.stderr.write,
            )
        except (ValueError, RuntimeError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(benchmark.table(report))
        self.write_json(report, options["json"])

    def compare_with_datasette(self, options):
        if options["pages"] < 1:
            raise CommandError("--pages must be at least 1")
        try:
            report = datasette_benchmark.run(
                pages=options["pages"], in_process=options["in_process"], progress=self.stderr.write
            )
        except (ValueError, RuntimeError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(datasette_benchmark.table(report))
        self.write_json(report, options["json"])

    def write_json(self, report: dict, path: Path | None) -> None:
        if path:
            path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
            self.stdout.write(f"Figures written to {path}")
