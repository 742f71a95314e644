"""`manage.py restore PATH [--force]`: load a file written by `manage.py backup` into this database.

Run `manage.py migrate` first (on a new database). A database that already holds cities,
networks or user accounts is refused unless `--force` is given; then everything in it is
deleted first (sessions too), in the same transaction as the load, so a restore that fails
leaves the database as it was.
"""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.db import connection
from django.db import transaction

from networks.management.commands.backup import backed_up_models


def empty_database() -> None:
    """Delete every row (`flush`), which also rebuilds the content types and permissions that a
    backup refers to by name. Within the caller's transaction."""
    if connection.vendor == "postgresql":
        # PostgreSQL refuses to truncate a table with foreign-key checks still pending in this
        # transaction: run them now, and defer them again for the load (rows may refer ahead).
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            call_command("flush", interactive=False, verbosity=0)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        call_command("flush", interactive=False, verbosity=0)


class Command(BaseCommand):
    help = "Load a backup written by `manage.py backup` into an empty database (--force: replace what is there)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="A file written by `manage.py backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Delete everything in the database first (in the same transaction as the load).",
        )

    def handle(self, *args, path: Path, force: bool, **options):
        path = path.resolve()
        if not path.is_file():
            raise CommandError(f"No backup at {path}.")
        held = {model._meta.label: model._base_manager.count() for model in backed_up_models()}
        held = {label: count for label, count in held.items() if count}
        if held and not force:
            examples = ", ".join(f"{label}: {count}" for label, count in list(held.items())[:3])
            raise CommandError(
                f"The database is not empty ({sum(held.values())} rows, e.g. {examples}). Restore into a new, "
                "migrated database, or give --force to replace everything in this one."
            )
        with transaction.atomic():
            if held:
                empty_database()
            call_command("loaddata", str(path), verbosity=0)
        for model in backed_up_models():
            count = model._base_manager.count()
            if count:
                self.stdout.write(f"{model._meta.label}: {count}")
        self.stdout.write(self.style.SUCCESS(f"Restored from {path}"))
