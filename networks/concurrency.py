"""No lost updates: a membership or coding is saved only if it is still as its editor read it.

Both models set `updated_at` on every save, to the microsecond on SQLite and PostgreSQL
alike, so it serves as the record's version (there is no version column). An editor's copy
carries the version it was read at: the admin's change form in a hidden field, an API
client in `If-Match` (the ETag) or in the body's `updated_at`. The write first *claims* the
row with one statement, `UPDATE ... SET updated_at = now WHERE id = %s AND updated_at = %s`,
in the transaction that then saves it. No row matched: someone saved in between, so
EditConflict, and nothing is written. A row matched: it is now locked until the write
commits (PostgreSQL locks the row, SQLite the database) and carries a new version, so a
second editor holding the same version waits, then finds the row changed. Reading the
version, comparing it in Python and then saving would let both editors pass.

A write that names no version is not checked (the API accepts it, as most APIs do).
"""

import datetime
from dataclasses import dataclass

from django.db import models
from django.utils import timezone


class EditConflict(Exception):
    """The record was changed (or deleted) after the editor read it; nothing was written."""

    def __init__(self, model: type[models.Model], pk):
        self.model, self.pk = model, pk
        super().__init__(f"{model._meta.verbose_name} {pk} changed after it was read")


def version_token(updated_at: datetime.datetime) -> str:
    """A version as text: `updated_at` in UTC, to the microsecond ('2026-01-05T10:00:00.000000Z')."""
    return updated_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_version_token(text: str) -> datetime.datetime | None:
    """The `updated_at` a `version_token()` names; None for anything else."""
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.UTC)
    except (TypeError, ValueError):
        return None


def etag(pk, updated_at: datetime.datetime) -> str:
    """A record's ETag (strong, quoted): its id and version. It names the version of the
    record, which changes with every save, not the bytes of one rendering."""
    return f'"{pk}-{version_token(updated_at)}"'


def claim(model: type[models.Model], pk, version: datetime.datetime) -> None:
    """Take the row for a write based on `version`, or raise EditConflict if it has another
    version (or is gone). Call it in the write's transaction, before saving."""
    claimed = model._default_manager.filter(pk=pk, updated_at=version).update(updated_at=timezone.now())
    if not claimed:
        raise EditConflict(model, pk)


def current_version(model: type[models.Model], pk) -> datetime.datetime | None:
    """The row's `updated_at` as committed now; None if there is no such row."""
    return model._default_manager.filter(pk=pk).values_list("updated_at", flat=True).first()


@dataclass(frozen=True)
class Change:
    """The latest save of a record: when (its version) and by whom, if the history knows."""

    updated_at: datetime.datetime
    user: str | None


def latest_change(model: type[models.Model], pk) -> Change | None:
    """Who last saved the record and when (two queries); None if it no longer exists."""
    updated_at = current_version(model, pk)
    if updated_at is None:
        return None
    record = model.history.filter(id=pk).select_related("history_user").order_by("-history_date").first()
    user = record.history_user if record is not None else None
    return Change(updated_at, user.get_username() if user is not None else None)


def conflict_message(model: type[models.Model], change: Change | None, since: str) -> str:
    """'This coding was changed by alice at 2026-01-05 10:00:00 UTC after you opened it' (`since`)."""
    name = model._meta.verbose_name
    if change is None:
        return f"This {name} was deleted after you {since}."
    who = f" by {change.user}" if change.user else ""
    when = timezone.localtime(change.updated_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    return f"This {name} was changed{who} at {when} after you {since}."
