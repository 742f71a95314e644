"""The data version: a value that changes with every committed write to Citynet's data, in the
same transaction as the write, kept in the database itself (table `citynet_data_version`).

Cached pages (citynet.caching) and the API's ETags (citynet.conditional) are keyed on it, so
nothing served is older than the data, on any app server that shares the database.

Database triggers bump it, on every table of the `cities` and `networks` apps (their history
tables included), for INSERT, UPDATE, DELETE and TRUNCATE: whatever makes the write — the ORM,
the admin, the API, an import, raw SQL in a shell — cannot leave it behind. The triggers are
(re)installed after every `migrate` (CitynetConfig.ready), so a table a later migration adds is
covered at once; `tests/citynet/test_dataversion.py` checks every table has them.

- PostgreSQL: a constraint trigger, deferred to the commit, bumps the row once per transaction
  (a transaction-local setting remembers it did). Taking the row's lock at the very end of a
  transaction means two writers never wait on each other in opposite orders (no deadlock),
  and a reader that sees the new version also sees the data written with it. A TRUNCATE, which
  row triggers do not see, bumps it at once.
- SQLite (the embedded default): a trigger per table and operation; SQLite has one writer at a
  time, so there is nothing to order. The row is made only where it is missing (no `OR IGNORE`:
  inside a trigger SQLite replaces that with the conflict rule of the statement that fired it).

Each write also moves on its table's own counter (table `citynet_table_version`), so a cached
page records which tables it read and stays valid while only others change (citynet.caching).

A rolled-back write leaves no trace. The version reads `<epoch>.<counter>`: the epoch is drawn
anew whenever the row itself is made again (a fresh database, a flush, a restore), so a counter
that starts again never names data it has not seen. On a streaming replica the row replicates
with the data it counts, so a replica's version is that of the data it serves.
"""

import datetime
import hashlib

from django.apps import apps
from django.db import connections
from django.db import router

TABLE = "citynet_data_version"
TRACKED_APPS = ("cities", "networks")
TRIGGER = "citynet_data_version"
FUNCTION = "citynet_bump_data_version"

TABLES = "citynet_table_version"

# The whole data's row first, then the table's: every writer takes the one row's lock before any
# table's, so two writers never lock tables' rows in opposite orders (no deadlock).
POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('citynet.data_version_bumped', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config('citynet.data_version_bumped', txid_current()::text, true);
        INSERT INTO {TABLE} (id, epoch, counter, changed_at)
        VALUES (1, md5(random()::text || clock_timestamp()::text), 1, clock_timestamp())
        ON CONFLICT (id) DO UPDATE SET counter = {TABLE}.counter + 1, changed_at = clock_timestamp();
    END IF;
    IF current_setting('citynet.bumped_' || TG_TABLE_NAME, true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config('citynet.bumped_' || TG_TABLE_NAME, txid_current()::text, true);
        INSERT INTO {TABLES} (name, counter, changed_at) VALUES (TG_TABLE_NAME, 1, clock_timestamp())
        ON CONFLICT (name) DO UPDATE SET counter = {TABLES}.counter + 1, changed_at = clock_timestamp();
    END IF;
    RETURN NULL;
END
$$
"""

SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
SQLITE_BODY = f"""
    INSERT INTO {TABLE} (id, epoch, counter, changed_at)
    SELECT 1, lower(hex(randomblob(16))), 0, {SQLITE_NOW} WHERE NOT EXISTS (SELECT 1 FROM {TABLE} WHERE id = 1);
    UPDATE {TABLE} SET counter = counter + 1, changed_at = {SQLITE_NOW} WHERE id = 1;
    INSERT INTO {TABLES} (name, counter, changed_at)
    SELECT '{{table}}', 0, {SQLITE_NOW} WHERE NOT EXISTS (SELECT 1 FROM {TABLES} WHERE name = '{{table}}');
    UPDATE {TABLES} SET counter = counter + 1, changed_at = {SQLITE_NOW} WHERE name = '{{table}}';
"""


def tracked_tables() -> list[str]:
    """Every table of the tracked apps' models (many-to-many tables and history included)."""
    tables = set()
    for label in TRACKED_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy:
                tables.add(model._meta.db_table)
    return sorted(tables)


def install(using: str = "default") -> list[str]:
    """(Re)install the triggers on every tracked table that exists; the tables covered."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    if TABLE not in existing or TABLES not in existing:
        return []
    tables = [table for table in tracked_tables() if table in existing]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_FUNCTION)
            for table in tables:
                for name in (TRIGGER, f"{TRIGGER}_truncate"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {quote(table)}")
                cursor.execute(
                    f"CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON {quote(table)} "
                    f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
                )
                cursor.execute(
                    f"CREATE TRIGGER {TRIGGER}_truncate AFTER TRUNCATE ON {quote(table)} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
                )
        elif connection.vendor == "sqlite":
            for table in tables:
                for operation in ("INSERT", "UPDATE", "DELETE"):
                    name = quote(f"{TRIGGER}_{table}_{operation.lower()}")
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                    body = SQLITE_BODY.replace("{table}", table)
                    cursor.execute(f"CREATE TRIGGER {name} AFTER {operation} ON {quote(table)} BEGIN {body} END")
        else:
            return []
    return tables


def covered_tables(using: str = "default") -> set[str]:
    """The tables that carry the data version's triggers now (for the check that none is missed)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = %s AND c.relnamespace = 'public'::regnamespace",
                [TRIGGER],
            )
        else:
            cursor.execute(
                "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", [f"{TRIGGER}_%"]
            )
        return {row[0] for row in cursor.fetchall()}


def install_after_migrate(using: str = "default", **kwargs) -> None:
    """post_migrate receiver: runs once per migrated app; the citynet app's is enough."""
    if kwargs.get("app_config") is not None and kwargs["app_config"].label != "citynet":
        return
    if not router.allow_migrate(using, "citynet"):
        return  # a read replica: it gets the primary's triggers by streaming, and is read-only
    install(using)


def read(using: str = "default") -> tuple[str, datetime.datetime | None]:
    """The data version now and when it last moved (None: no write since the database was made)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT epoch, counter, changed_at FROM {TABLE} WHERE id = 1")
        row = cursor.fetchone()
    if row is None:
        return "0", None
    epoch, counter, changed_at = row
    if isinstance(changed_at, str):  # SQLite, read without the model's converters
        changed_at = datetime.datetime.fromisoformat(changed_at)
    if changed_at.tzinfo is None:  # SQLite keeps UTC without saying so
        changed_at = changed_at.replace(tzinfo=datetime.UTC)
    return f"{epoch}.{counter}", changed_at


def read_with_tables(using: str = "default") -> tuple[str, datetime.datetime | None, dict[str, int]]:
    """`read()` and each table's counter (a table never written since the row was made: 0),
    in one query."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT '', epoch, counter, changed_at FROM {TABLE} WHERE id = 1 "
            f"UNION ALL SELECT name, NULL, counter, NULL FROM {TABLES}"
        )
        rows = cursor.fetchall()
    tables = {name: counter for name, _, counter, _ in rows if name}
    whole = [row for row in rows if not row[0]]
    if not whole:
        return "0", None, tables
    _, epoch, counter, changed_at = whole[0]
    if isinstance(changed_at, str):  # SQLite, read without the model's converters
        changed_at = datetime.datetime.fromisoformat(changed_at)
    if changed_at.tzinfo is None:  # SQLite keeps UTC without saying so
        changed_at = changed_at.replace(tzinfo=datetime.UTC)
    return f"{epoch}.{counter}", changed_at, tables


def fingerprint(*parts: str) -> str:
    """A short digest of what a response depends on, for cache keys and ETags."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
