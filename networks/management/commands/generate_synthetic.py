from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.db import connection

from networks.tooling import synthetic


class Command(BaseCommand):
    help = (
        "Add a synthetic data set at the scale of the whole field on top of the real one (default: 10,000 "
        "places, 250 networks, 2,000 sub-networks, 100,000 membership spells, 500,000 codings with evidence), "
        "deterministic for a seed. Every synthetic row is marked (the source 'Citynet synthetic data (not "
        "real)', coders and slugs named synthetic); --remove deletes exactly those rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="multiply every count by this (default 1.0)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument("--remove", action="store_true", help="delete the synthetic rows instead")

    def handle(self, *args, **options):
        database = f"{connection.vendor} database {connection.settings_dict['NAME']}"
        try:
            if options["remove"]:
                self.stdout.write(f"Removing the synthetic rows from the {database}")
                report = synthetic.remove(progress=self.stdout.write)
                verb = "Removed"
            else:
                self.stdout.write(
                    f"Adding synthetic data to the {database} (scale {options['scale']:g}, seed {options['seed']})"
                )
                report = synthetic.generate(scale=options["scale"], seed=options["seed"], progress=self.stdout.write)
                verb = "Wrote"
        except ValueError as error:
            raise CommandError(str(error)) from error
        rows = ", ".join(f"{count:,} {name}" for name, count in report.rows.items() if count)
        self.stdout.write(self.style.SUCCESS(f"{verb} {rows or 'nothing'} in {report.total_seconds:.1f} s."))
