from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from networks.importing.study import STUDY_PATH
from networks.importing.study import study_load


class Command(BaseCommand):
    help = "Load the study's sources, cities, networks, codebook and codings (fixtures/study/study.json). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=STUDY_PATH, help="the study's JSON file")

    def handle(self, *args, **options):
        try:
            counts = study_load(path=options["path"])
        except ValidationError as error:
            raise CommandError(f"{options['path']}: nothing written. {error}") from error
        for model, count in counts.items():
            self.stdout.write(
                f"{model}: {count['created']} created, {count['updated']} updated, {count['unchanged']} unchanged"
            )
