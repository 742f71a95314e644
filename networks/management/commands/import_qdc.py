from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from networks.models import Code
from networks.models import CodebookVersion
from networks.research.refi import codebook_import_qdc


class Command(BaseCommand):
    help = (
        "Add the codes of a REFI-QDA codebook (.qdc) to a codebook version. Codes already there (same name or "
        "slug, or a Citynet GUID) are matched and left as they are, so a second import adds nothing. Atomic."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--codebook", dest="codebook_version", help="label of the codebook version to add to (default: current)"
        )
        parser.add_argument(
            "--kind",
            choices=[value for value, _label in Code.Kind.choices],
            default=Code.Kind.FUNCTION,
            help="kind for codes the file does not group under a Citynet kind (default: function)",
        )

    def handle(self, *args, **options):
        if not options["path"].exists():
            raise CommandError(f"{options['path']}: no such file")
        version = None
        if options["codebook_version"]:
            version = CodebookVersion.objects.filter(label=options["codebook_version"]).first()
            if version is None:
                raise CommandError(f"No codebook version {options['codebook_version']!r}.")
        try:
            report = codebook_import_qdc(
                data=options["path"].read_bytes(), version=version, default_kind=options["kind"]
            )
        except (ValueError, ValidationError) as error:
            raise CommandError(f"{options['path']}: nothing imported. {error}") from error
        created = ", ".join(report["created"]) or "none"
        self.stdout.write(
            f"Codebook {report['version']}{' (new)' if report['version_created'] else ''}: "
            f"{len(report['created'])} created ({created}), {len(report['matched'])} already there"
        )
