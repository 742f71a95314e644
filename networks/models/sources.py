"""Where a fact or a code comes from."""

from django.db import models
from django.db.models import F
from django.db.models import Q

from citynet.constraints import one_of


class SourceQuerySet(models.QuerySet):
    def study_citations(self) -> list[str]:
        """'Study: <citation>' for every study held, in citation order (for download headers)."""
        citations = self.filter(kind=Source.Kind.STUDY).order_by("citation").values_list("citation", flat=True)
        return [f"Study: {citation}" for citation in citations]


class SourceKind(models.TextChoices):
    STUDY = "study", "Study"
    INTERVIEW = "interview", "Interview"
    DOCUMENT = "document", "Document"
    WEBPAGE = "webpage", "Web page"
    DATASET = "dataset", "Data set or member list"


def source_label(kind: str, label: str, citation: str, interview_number: int | None, year: int | None) -> str:
    """A source's short name, the one pages, CSV downloads and the API all give it: an interview
    by its number and year ("Interview 2, 2018"), whatever label the study cites it by ("Informant
    2"), since the study's own wordings differ from city to city; anything else by its label, or
    the start of its citation. Pages and exports that read sources as plain values call this too."""
    if kind == SourceKind.INTERVIEW and interview_number:
        return f"Interview {interview_number}, {year}" if year else f"Interview {interview_number}"
    return label or citation[:80]


class Source(models.Model):
    """Where a fact or a code comes from: an interview, a document, a web page, a
    data set or the study itself. Interviews point to the study that reports them."""

    Kind = SourceKind

    kind = models.CharField(max_length=20, choices=Kind.choices)
    label = models.CharField(
        max_length=200, blank=True, help_text="Short form used in citations, e.g. 'Interview 1, 2018'."
    )
    citation = models.TextField(unique=True, help_text="Full citation text.")
    url = models.URLField(max_length=500, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    part_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts",
        help_text="For an interview: the study that reports it.",
    )
    interview_number = models.PositiveSmallIntegerField(null=True, blank=True)
    organisation = models.CharField(
        max_length=200, blank=True, help_text="For an interview: the city or network interviewed."
    )
    informant_role = models.CharField(max_length=200, blank=True)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "interview_number", "label"]
        constraints = [
            one_of("kind", SourceKind, name="networks_source_kind_valid", message="Unknown kind of source."),
            models.CheckConstraint(
                condition=Q(interview_number__isnull=True) | Q(kind="interview"),
                name="networks_source_number_only_for_interviews",
                violation_error_message="Only an interview has an interview number.",
            ),
            models.UniqueConstraint(
                fields=["part_of", "interview_number"],
                condition=Q(interview_number__isnull=False),
                name="networks_source_one_interview_number_per_study",
                violation_error_message="This study already has an interview with this number.",
            ),
            models.CheckConstraint(
                condition=~Q(part_of=F("pk")),
                name="networks_source_not_part_of_itself",
                violation_error_message="A source cannot be part of itself.",
            ),
        ]

    def __str__(self) -> str:
        return self.short_label

    @property
    def short_label(self) -> str:
        """`source_label` of this source; `label` keeps the study's own wording ("Cited as")."""
        return source_label(self.kind, self.label, self.citation, self.interview_number, self.year)
