"""Frozen, citable snapshots of the data."""

from pathlib import PurePath

from django.core.validators import RegexValidator
from django.db import models


class ReleaseQuerySet(models.QuerySet):
    def newest(self) -> "Release | None":
        """The latest release (by release date, then label), or None before the first."""
        return self.order_by("-released", "-label").first()


class Release(models.Model):
    """A frozen, citable snapshot of the data; networks/research/releases/ builds its files."""

    label = models.CharField(
        max_length=64,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", "Letters, digits, '.', '_' or '-'.")],
    )
    released = models.DateField()
    description = models.TextField(blank=True)
    counts = models.JSONField(default=dict, help_text="Rows per table.")
    files = models.JSONField(default=dict, help_text="{path in bundle: {sha256, bytes}}.")
    zip_path = models.CharField(max_length=500)
    zip_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-released", "-label"]

    def __str__(self) -> str:
        return f"Release {self.label}"

    @property
    def file_name(self) -> str:
        return PurePath(self.zip_path).name
