"""The codebook, coders, codings and the evidence behind them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Case
from django.db.models import F
from django.db.models import Prefetch
from django.db.models import Q
from django.db.models import Value
from django.db.models import When
from django.db.models.functions import Cast
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cities.models import City
from citynet.constraints import one_of
from networks.models.sources import Source
from networks.salience import SALIENCE_LABELS
from networks.salience import UNRATED_LABEL
from networks.visibility import Reader
from networks.visibility import can_see_restricted

if TYPE_CHECKING:
    from networks.models.networks import Network


class CodebookVersion(models.Model):
    label = models.CharField(max_length=50, unique=True)
    released = models.DateField()
    description = models.TextField(blank=True)
    based_on = models.ForeignKey(Source, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-released"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="networks_codebookversion_one_current",
                violation_error_message="Only one codebook version can be current.",
            ),
        ]

    def __str__(self) -> str:
        return f"Codebook {self.label}"


class CodeQuerySet(models.QuerySet):
    def current(self) -> CodeQuerySet:
        return self.filter(version__is_current=True).order_by("kind", "position")

    def functions(self) -> CodeQuerySet:
        return self.filter(kind=Code.Kind.FUNCTION)

    def logics(self) -> CodeQuerySet:
        return self.filter(kind=Code.Kind.LOGIC)

    def for_list(self) -> CodeQuerySet:
        """Every version's codes with their version: the current version first, then newest."""
        return self.select_related("version").order_by(
            "-version__is_current", "-version__released", "kind", "position", "code"
        )


class CodeKind(models.TextChoices):
    FUNCTION = "function", "Network function"
    LOGIC = "logic", "Logic of participation"


class Code(models.Model):
    Kind = CodeKind

    version = models.ForeignKey(CodebookVersion, on_delete=models.PROTECT, related_name="codes")
    code = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order within its kind.")
    definition = models.TextField()
    when_to_use = models.TextField(blank=True)
    when_not_to_use = models.TextField(blank=True)
    example = models.TextField(blank=True)

    objects = CodeQuerySet.as_manager()

    class Meta:
        ordering = ["version", "kind", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "code"],
                name="networks_code_unique_per_version",
                violation_error_message="This codebook version already has this code.",
            ),
            one_of("kind", CodeKind, name="networks_code_kind_valid", message="A code is a function or a logic."),
        ]

    def __str__(self) -> str:
        return self.name


class Coder(models.Model):
    """Who assigned a code: a person (optionally a user of this site) or a named
    seed coding such as Citynet's coding of the study."""

    name = models.CharField(max_length=200, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="coder"
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CodingQuerySet(models.QuerySet):
    def for_city(self, city: City, reader: Reader = None) -> CodingQuerySet:
        return self.filter(city=city).with_evidence(reader).order_by("network__name", "code__kind", "code__position")

    def for_network_as_whole(self, network: Network) -> CodingQuerySet:
        return self.filter(network=network, city__isnull=True)

    def of_members(self, network: Network) -> CodingQuerySet:
        """Codings of member cities' use of `network` (not of the network as a whole)."""
        return self.filter(network=network, city__isnull=False)

    def functions_offered(self, network: Network) -> CodingQuerySet:
        """What `network` says it offers: (function code, highest salience) pairs from its own
        codings, summed up by the database (`aggregates.offer_and_use`'s `own`)."""
        own = self.for_network_as_whole(network).filter(code__kind=Code.Kind.FUNCTION)
        return own.values_list("code__code").annotate(salience=models.Max("salience")).order_by()

    def functions_used(self, network: Network) -> CodingQuerySet:
        """What `network`'s members say they use: (city slug, city name, function code, highest
        salience) from member cities' codings in their own perspective, summed up by the
        database: one row per city and code, however many coders (`offer_and_use`'s `members`)."""
        used = self.of_members(network).filter(perspective=Coding.Perspective.CITY, code__kind=Code.Kind.FUNCTION)
        return (
            used.values_list("city__slug", "city__name", "code__code")
            .annotate(salience=models.Max("salience"))
            .order_by()
        )

    def for_matrix(
        self, network: Network | None = None, cities: list[str] | None = None, reader: Reader = None
    ) -> CodingQuerySet:
        """Codings of cities' use (not of networks as a whole) for the comparison matrix,
        optionally in one network and for some city slugs, with evidence as `reader` may see
        it prefetched."""
        codings = self.filter(city__isnull=False)
        if network is not None:
            codings = codings.filter(network=network)
        if cities:
            codings = codings.filter(city__slug__in=cities)
        return codings.with_evidence(reader).order_by(
            "city__name", "network__name", "code__kind", "code__position", "pk"
        )

    def for_matrix_rows(self, network: Network | None = None, cities: list[str] | None = None) -> CodingQuerySet:
        """`for_matrix()`'s codings as plain tuples for `aggregates.coding_rows` (no model is
        built: a network's matrix may hold 50,000 codings): (id, city id, slug, name, country,
        network id, slug, name, acronym, code, salience, outcome, perspective, coded_at as the
        database's text, coder name). Evidence comes from `Evidence.objects.for_matrix_rows()`."""
        codings = self.filter(city__isnull=False)
        if network is not None:
            codings = codings.filter(network=network)
        if cities:
            codings = codings.filter(city__slug__in=cities)
        return codings.order_by("city__name", "network__name", "code__kind", "code__position", "pk").values_list(
            "id",
            "city_id",
            "city__slug",
            "city__name",
            "city__country",
            "network_id",
            "network__slug",
            "network__name",
            "network__acronym",
            "code__code",
            "salience",
            "outcome",
            "perspective",
            Cast("coded_at", output_field=models.CharField()),
            "coder__name",
        )

    def with_evidence(self, reader: Reader = None) -> CodingQuerySet:
        """Joins city, network, code and coder; prefetches `evidence` with its source, as
        `reader` may see it (`Evidence.objects.for_reader()`: None is the public)."""
        evidence = Evidence.objects.for_reader(reader).select_related("source").order_by("position", "pk")
        return self.select_related("city", "network", "code", "coder").prefetch_related(
            Prefetch("evidence", queryset=evidence)
        )

    def for_list(self, reader: Reader = None) -> CodingQuerySet:
        """`with_evidence(reader)`, by network, city, code kind and position."""
        return self.with_evidence(reader).order_by("network__name", "city__name", "code__kind", "code__position")

    def with_evidence_matching(self, query: str, reader: Reader = None) -> CodingQuerySet:
        """Codings with evidence whose text, original text or source label, as `reader` may
        see them, contains `query`. Joins city, network, code and coder; prefetches only the
        matching `evidence` (`Evidence.objects.for_reader()`)."""
        evidence = Evidence.objects.for_reader(reader).matching(query)
        return (
            self.filter(pk__in=evidence.values("coding"))
            .select_related("city", "network", "code", "coder")
            .prefetch_related(
                Prefetch("evidence", queryset=evidence.select_related("source").order_by("position", "pk"))
            )
            .order_by("network__name", "city__name", "code__kind", "code__position")
        )

    def for_export(
        self, network: Network | None = None, cities: list[str] | None = None, reader: Reader = None
    ) -> CodingQuerySet:
        """Codings for a REFI-QDA export: cities' and (unless `cities` is given) networks'
        own, optionally in one network and for some city slugs; `with_evidence(reader)`, in a
        stable order (network, city with the network as a whole first, code, perspective,
        coder)."""
        codings = self
        if network is not None:
            codings = codings.filter(network=network)
        if cities:
            codings = codings.filter(city__slug__in=cities)
        return codings.with_evidence(reader).order_by(
            "network__slug", F("city__slug").asc(nulls_first=True), "code__code", "perspective", "coder__name", "pk"
        )

    def for_agreement(
        self, network: Network | None = None, cities: list[str] | None = None, reader: Reader = None
    ) -> CodingQuerySet:
        """Codings to compare coders on, as `for_export()`: `agreement.coding_rows()` turns
        them into the rows `networks.research.agreement` works on."""
        return self.for_export(network=network, cities=cities, reader=reader)


class CodingOutcome(models.TextChoices):
    MET = "met", "Met"
    MIXED = "mixed", "Mixed"
    UNMET = "unmet", "Unmet"
    UNKNOWN = "unknown", "Unknown"


class CodingPerspective(models.TextChoices):
    CITY = "city", "The city's informants"
    NETWORK = "network", "The network's staff"
    RESEARCHER = "researcher", "The researchers' analysis"


class Coding(models.Model):
    """A code applied to a city's use of a network, or (with no city) to what a
    network as a whole says it offers."""

    Outcome = CodingOutcome
    Perspective = CodingPerspective

    city = models.ForeignKey(
        City,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="codings",
        help_text="Empty for the network as a whole (what it says it offers).",
    )
    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="codings")
    code = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="codings")
    salience = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(3)],
        help_text="3 central, 2 important, 1 minor, 0 explicitly not important; "
        "empty when the code applies but nobody rated how strongly.",
    )
    outcome = models.CharField(
        max_length=10,
        choices=Outcome.choices,
        blank=True,
        help_text="Whether the city says it gets it; empty where it does not apply.",
    )
    perspective = models.CharField(max_length=20, choices=Perspective.choices)
    coder = models.ForeignKey(Coder, on_delete=models.PROTECT, related_name="codings")
    coded_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CodingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(salience__isnull=True) | (Q(salience__gte=0) & Q(salience__lte=3)),
                name="networks_coding_salience_range",
                violation_error_message="Salience runs from 0 (explicitly not important) to 3 (central), "
                "or is empty (not rated).",
            ),
            one_of(
                "outcome",
                CodingOutcome,
                name="networks_coding_outcome_valid",
                message="Outcome must be met, mixed, unmet, unknown or empty.",
                blank=True,
            ),
            one_of(
                "perspective",
                CodingPerspective,
                name="networks_coding_perspective_valid",
                message="Unknown perspective.",
            ),
            models.UniqueConstraint(
                fields=["city", "network", "code", "perspective", "coder"],
                name="networks_coding_one_per_cell",
                violation_error_message="This coder has already coded this from this perspective.",
            ),
            models.UniqueConstraint(
                fields=["network", "code", "perspective", "coder"],
                condition=Q(city__isnull=True),
                name="networks_coding_one_per_network_cell",
                violation_error_message="This coder has already coded this network as a whole from this perspective.",
            ),
        ]
        indexes = [
            # comparison matrix: all codings of one network, by code
            models.Index(fields=["network", "code"], name="networks_coding_matrix_idx"),
            # comparison and network profile: the cities coded in one network, and how many codings they have
            models.Index(fields=["network", "city"], name="networks_coding_places_idx"),
            # network profile: each member's highest salience per perspective and function, read
            # from the index alone (selectors.offers_of_network)
            models.Index(
                fields=["network", "perspective", "code", "city", "salience"], name="networks_coding_offers_idx"
            ),
        ]

    def __str__(self) -> str:
        who = self.city.name if self.city_id else "(network as a whole)"
        salience = "not rated" if self.salience is None else self.salience
        return f"{who} × {self.network} × {self.code.code}: {salience}"

    @property
    def salience_label(self) -> str:
        return UNRATED_LABEL if self.salience is None else SALIENCE_LABELS.get(self.salience, "")


class EvidenceQuerySet(models.QuerySet):
    def for_reader(self, reader: Reader = None) -> EvidenceQuerySet:
        """Adds what `reader` may see of each item (networks.visibility; None is the public):
        `shown_kind`, `shown_text`, `shown_original_text`, `shown_locator` and
        `shown_paraphrase`. For a reader with the permission they are the stored values. For
        anyone else, paraphrase-only evidence shows its public paraphrase as a paraphrase and no
        original text; restricted evidence shows its kind and nothing else (empty text, original
        text, locator and paraphrase). The database masks the values, and the verbatim columns
        are not even fetched, so no page or export built from this can show them."""
        if can_see_restricted(reader):
            return self.annotate(
                shown_kind=F("kind"),
                shown_text=F("text"),
                shown_original_text=F("original_text"),
                shown_locator=F("locator"),
                shown_paraphrase=F("public_paraphrase"),
            )
        return self.defer("text", "original_text", "public_paraphrase").annotate(**masked_evidence())

    def for_matrix_rows(self, codings: CodingQuerySet, reader: Reader = None) -> EvidenceQuerySet:
        """The evidence of `codings` as plain tuples for `aggregates.coding_rows`, as `reader`
        may see it (`for_reader`): (coding id, id, visibility, kind, text, locator, then the
        source's kind, label, citation, interview number and year, from which `source_label`
        names it), by coding and position."""
        return (
            self.filter(coding__in=codings.values("pk"))
            .for_reader(reader)
            .order_by("coding_id", "position", "pk")
            .values_list("coding_id", "id", "visibility", "shown_kind", "shown_text", "shown_locator", *SOURCE_VALUES)
        )

    def for_quote_table(self, reader: Reader = None) -> EvidenceQuerySet:
        """Every evidence item as `reader` may see it (`for_reader`) with its coding's city,
        network, code and coder and its source joined (one query), by network, city (the
        network as a whole first), code kind and position, then the evidence's own order."""
        return (
            self.for_reader(reader)
            .select_related("coding__city", "coding__network", "coding__code", "coding__coder", "source")
            .order_by(
                "coding__network__name",
                F("coding__city__name").asc(nulls_first=True),
                "coding__code__kind",
                "coding__code__position",
                "coding__perspective",
                "coding__coder__name",
                "position",
                "pk",
            )
        )

    def matching(self, query: str) -> EvidenceQuerySet:
        """Items of a `for_reader()` queryset whose shown text, shown original text or source
        label contains `query`: a search never finds words a reader may not read."""
        return self.filter(
            Q(shown_text__icontains=query) | Q(shown_original_text__icontains=query) | Q(source__label__icontains=query)
        )


# What `sources.source_label` names a source from, read as plain values alongside evidence.
SOURCE_VALUES = ("source__kind", "source__label", "source__citation", "source__interview_number", "source__year")


def masked_evidence() -> dict[str, models.Expression]:
    """The `shown_*` values of `EvidenceQuerySet.for_reader()` for a reader without the
    permission to see restricted evidence. Anything but public evidence is masked, so a
    visibility added later stays hidden until it is given a rule here."""
    public = Q(visibility=Evidence.Visibility.PUBLIC)
    paraphrase = Q(visibility=Evidence.Visibility.PARAPHRASE_ONLY)
    text, char = models.TextField(), models.CharField()
    return {
        "shown_kind": Case(When(paraphrase, then=Value("paraphrase")), default=F("kind"), output_field=char),
        "shown_text": Case(
            When(public, then=F("text")),
            When(paraphrase, then=F("public_paraphrase")),
            default=Value(""),
            output_field=text,
        ),
        "shown_original_text": Case(When(public, then=F("original_text")), default=Value(""), output_field=text),
        "shown_locator": Case(When(public | paraphrase, then=F("locator")), default=Value(""), output_field=char),
        "shown_paraphrase": Case(
            When(public | paraphrase, then=F("public_paraphrase")), default=Value(""), output_field=text
        ),
    }


PARAPHRASE_NEEDED = "Paraphrase-only evidence needs the public paraphrase that may be shown."


class EvidenceKind(models.TextChoices):
    QUOTE = "quote", "Quote"
    PARAPHRASE = "paraphrase", "Paraphrase"


class EvidenceVisibility(models.TextChoices):
    PUBLIC = "public", "Public quote"
    PARAPHRASE_ONLY = "paraphrase", "Paraphrase only"
    RESTRICTED = "restricted", "Restricted"


class Evidence(models.Model):
    Kind = EvidenceKind
    Visibility = EvidenceVisibility

    coding = models.ForeignKey(Coding, on_delete=models.CASCADE, related_name="evidence")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="evidence")
    locator = models.CharField(max_length=100, blank=True, help_text="Page, section or time, e.g. 'p. 72'.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField()
    original_text = models.TextField(blank=True, help_text="The passage in the source's own language.")
    language = models.CharField(max_length=10, blank=True, help_text="Language of the original text, e.g. da.")
    position = models.PositiveSmallIntegerField(default=0)
    visibility = models.CharField(
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
        help_text="Public: anyone may read the text. Paraphrase only: others read the public paraphrase. "
        "Restricted (e.g. a confidential interview): others see only that it exists. Editors read every text.",
    )
    public_paraphrase = models.TextField(
        blank=True,
        help_text="The wording that may be shown where the text may not: needed for paraphrase-only evidence.",
    )

    objects = EvidenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "evidence"
        permissions = [("view_restricted_evidence", "Can see restricted and paraphrase-only evidence verbatim")]
        constraints = [
            one_of(
                "kind",
                EvidenceKind,
                name="networks_evidence_kind_valid",
                message="Evidence is a quote or a paraphrase.",
            ),
            models.CheckConstraint(
                condition=~Q(text=""),
                name="networks_evidence_text_not_empty",
                violation_error_message="Evidence needs its text.",
            ),
            models.UniqueConstraint(
                fields=["coding", "source", "text"],
                name="networks_evidence_no_duplicate",
                violation_error_message="This coding already has this evidence from this source.",
            ),
            one_of(
                "visibility",
                EvidenceVisibility,
                name="networks_evidence_visibility_valid",
                message="Evidence is public, paraphrase only or restricted.",
            ),
            models.CheckConstraint(
                condition=~Q(visibility="paraphrase") | ~Q(public_paraphrase=""),
                name="networks_evidence_paraphrase_given",
                violation_error_message=PARAPHRASE_NEEDED,
            ),
        ]

    def __str__(self) -> str:
        # Read in the admin and its history by people who may not see restricted text.
        if self.visibility != self.Visibility.PUBLIC:
            return f"{self.get_kind_display()} from {self.source} ({self.get_visibility_display().lower()})"
        return f"{self.get_kind_display()} from {self.source}: {self.text[:60]}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        # The constraint's rule, reported under the field it is about (forms and the API show it there).
        if self.visibility == self.Visibility.PARAPHRASE_ONLY and not self.public_paraphrase.strip():
            raise ValidationError({"public_paraphrase": PARAPHRASE_NEEDED})

    @property
    def citation(self) -> str:
        return f"{self.source}, {self.locator}" if self.locator else str(self.source)

    @property
    def shown_citation(self) -> str:
        """`citation` with the locator the reader may see (from `for_reader()`)."""
        return f"{self.source}, {self.shown_locator}" if self.shown_locator else str(self.source)
