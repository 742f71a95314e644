import time

from django.core.management.base import BaseCommand
from django.db.models import Count

from cities.duplicates import RADIUS_KM
from cities.duplicates import SIMILARITY
from cities.duplicates import likely_duplicates
from cities.models import City
from citynet.downloads import csv_lines

COLUMNS = [
    "group",
    "reason",
    "key",
    "id",
    "slug",
    "name",
    "country",
    "kind",
    "latitude",
    "longitude",
    "geonames_id",
    "wikidata_id",
    "memberships",
]


class Command(BaseCommand):
    help = (
        "Write the likely duplicate places as CSV, one row per place of each group (same GeoNames "
        "or Wikidata id, same folded name and country, or close together with similar names). "
        "Merge them in the admin (places, 'Likely duplicates')."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="write the CSV to this file (default: standard output)")
        parser.add_argument(
            "--radius-km", type=float, default=RADIUS_KM, help=f"how close is close (default {RADIUS_KM:g})"
        )
        parser.add_argument(
            "--similarity",
            type=int,
            default=SIMILARITY,
            help=f"how alike close places' names must be, 0-100 (default {SIMILARITY})",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        places = City.objects.annotate(n_memberships=Count("memberships")).order_by("pk")
        groups = likely_duplicates(places, radius_km=options["radius_km"], similarity=options["similarity"])
        rows = (
            {
                "group": number,
                "reason": group.reason,
                "key": group.key,
                "memberships": place.n_memberships,
                **{column: getattr(place, column) for column in COLUMNS[3:-1]},
            }
            for number, group in enumerate(groups, start=1)
            for place in group.places
        )
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                out.writelines(csv_lines(rows, COLUMNS, comments=[]))
        else:
            self.stdout.write("".join(csv_lines(rows, COLUMNS, comments=[])), ending="")
        places_found = sum(len(group.places) for group in groups)
        self.stderr.write(
            f"{len(groups)} groups of likely duplicates ({places_found} places) "
            f"in {time.perf_counter() - started:.1f} s."
        )
