from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from networks.models import Code
from networks.models import Coding
from networks.models import Network
from networks.research.refi import project_document
from networks.research.refi import qdpx_archive
from networks.research.refi import schema_errors
from networks.visibility import OPERATOR


class Command(BaseCommand):
    help = (
        "Write codings with their evidence as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder "
        "or Taguette: sources as plain text, evidence as coded selections, each city x network as a case. "
        "Validated against the standard's schema before it is written. Restricted and paraphrase-only evidence "
        "is masked as on the public site unless --include-restricted is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", type=Path, required=True, help="the .qdpx file to write")
        parser.add_argument("--network", help="slug of one network (default: all)")
        parser.add_argument(
            "--city", action="append", default=[], help="slug of a city; repeat for several (default: all)"
        )
        parser.add_argument(
            "--include-restricted",
            action="store_true",
            help="write restricted and paraphrase-only evidence verbatim (default: as the public sees it); "
            "keep such a file as confidential as the interviews in it",
        )

    def handle(self, *args, **options):
        network = None
        if options["network"]:
            network = Network.objects.filter(slug=options["network"]).first()
            if network is None:
                raise CommandError(f"No network {options['network']!r}.")
        reader = OPERATOR if options["include_restricted"] else None
        codings = list(Coding.objects.for_export(network=network, cities=options["city"], reader=reader))
        if not codings:
            raise CommandError("No codings match; nothing written.")
        scope = "; ".join(
            part
            for part in (
                f"network {network.slug}" if network else "",
                f"cities {', '.join(options['city'])}" if options["city"] else "",
            )
            if part
        )
        codes = list(Code.objects.current())
        xml, texts = project_document(codings, codes=codes, scope=scope)
        errors = schema_errors(xml, schema="project")
        if errors:
            raise CommandError("The project does not validate; nothing written.\n" + "\n".join(errors))
        options["output"].write_bytes(qdpx_archive(xml, texts))
        self.stdout.write(f"{len(codings)} codings written to {options['output']}")
