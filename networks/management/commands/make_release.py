import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.utils import timezone

from networks.research.releases import releases_dir
from networks.services import release_create


class Command(BaseCommand):
    help = (
        "Freeze the data as release LABEL: one CSV per table, a Frictionless datapackage.json, a README with "
        "citation and licences, SHA256SUMS, and a zip of them. The same data, label and date give "
        "byte-identical files. An existing release is never overwritten. The release is recorded in the database, "
        "so the site lists it at /releases/ and cites it."
    )

    def add_arguments(self, parser):
        parser.add_argument("label", help="e.g. 2025.1")
        parser.add_argument(
            "--date", type=datetime.date.fromisoformat, help="release date, YYYY-MM-DD (default: today)"
        )
        parser.add_argument("--output", type=Path, help="folder for the bundle (default: CITYNET_RELEASES_DIR)")
        parser.add_argument("--url", default="", help="where the release will be published, for the citation")
        parser.add_argument("--description", default="", help="what changed since the last release")
        parser.add_argument("--license-name", help="licence of Citynet's compilation, e.g. CC-BY-4.0")
        parser.add_argument("--license-path", help="address of that licence's text")
        parser.add_argument("--license-title", help="title of that licence")

    def handle(self, *args, **options):
        license = None
        if options["license_name"] or options["license_path"]:
            license = {
                key: value
                for key, value in {
                    "name": options["license_name"],
                    "path": options["license_path"],
                    "title": options["license_title"],
                }.items()
                if value
            }
        try:
            release = release_create(
                label=options["label"],
                released=options["date"] or timezone.localdate(),
                description=options["description"],
                directory=options["output"] or releases_dir(),
                license=license,
                url=options["url"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        except (ValueError, FileExistsError) as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{table} {count}" for table, count in release.counts.items())
        self.stdout.write(f"Release {release.label} of {release.released.isoformat()}: {counts}")
        self.stdout.write(f"{release.zip_path} sha256 {release.zip_sha256}")
