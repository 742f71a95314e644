"""What an editor decided when importing a coded project, remembered for its next import."""

from django.conf import settings
from django.db import models


class ProjectImportMapping(models.Model):
    """How a REFI-QDA project's codes, users, cases and options map to Citynet
    (`networks.research.qdpx_import.mapping.Choices`), keyed on the project's identity: the
    tool that wrote it, its name, its creating user and creation time."""

    key = models.CharField(max_length=300, unique=True)
    project_name = models.CharField(max_length=200, blank=True)
    origin = models.CharField(max_length=200, blank=True, help_text="The tool that wrote the project.")
    choices = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "coded project import"

    def __str__(self) -> str:
        return f"{self.project_name or self.key} ({self.origin or 'unknown tool'})"
