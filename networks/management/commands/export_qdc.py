import sys
from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from networks.models import Code
from networks.research.refi import codebook_qdc
from networks.research.refi import schema_errors


class Command(BaseCommand):
    help = (
        "Write the codebook as a REFI-QDA codebook (.qdc) for NVivo, ATLAS.ti, MAXQDA, QualCoder or Taguette. "
        "The file is validated against the standard's schema before it is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
        parser.add_argument("--codebook", dest="codebook_version", help="codebook version label (default: current)")

    def handle(self, *args, **options):
        label = options["codebook_version"]
        codes = Code.objects.filter(version__label=label) if label else Code.objects.current()
        codes = list(codes.order_by("kind", "position", "code"))
        if not codes:
            raise CommandError(f"No codes in codebook version {label!r}." if label else "No current codebook version.")
        document = codebook_qdc(codes)
        errors = schema_errors(document, schema="codebook")
        if errors:
            raise CommandError("The codebook does not validate; nothing written.\n" + "\n".join(errors))
        if options["output"]:
            options["output"].write_bytes(document)
            self.stdout.write(f"{len(codes)} codes written to {options['output']}")
        else:
            sys.stdout.buffer.write(document)
