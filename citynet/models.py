"""The data version: one row that every write to the data moves on, and one per table that the
writes to that table move on (see citynet.dataversion)."""

from django.db import models


class DataVersion(models.Model):
    """Bumped by database triggers in the transaction of every write to a table of the `cities`
    and `networks` apps, whatever makes it (ORM, admin, API, imports, raw SQL, a shell).
    `epoch` is new whenever the row is made again (after a TRUNCATE, a restore), so a counter
    that starts again never names data it did not see."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    epoch = models.CharField(max_length=32)
    counter = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField()

    class Meta:
        db_table = "citynet_data_version"

    def __str__(self) -> str:
        return f"{self.epoch}.{self.counter}"


class TableVersion(models.Model):
    """Moved on, by the same triggers, in the transaction of every write to its table: a cached
    page that read only other tables stays valid (citynet.caching)."""

    name = models.CharField(max_length=63, primary_key=True)
    counter = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField()

    class Meta:
        db_table = "citynet_table_version"

    def __str__(self) -> str:
        return f"{self.name}.{self.counter}"
