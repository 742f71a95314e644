"""Networks, memberships, sub-networks, the codebook, sources and codings.

Dates that may be known only to the year or month (joined, left, observed) are
stored as a DateField plus a precision. A start date stores the first day of its
period and an end date the last day (left 2019, year precision -> 2019-12-31), so
"member on date D" is the plain test joined <= D <= left.
"""

import calendar
import datetime
from pathlib import PurePath

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, Count, F, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Substr
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cities.models import City
from networks.visibility import Reader, can_see_restricted


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


def format_partial_date(value: datetime.date | None, precision: str) -> str:
    """Show a date only as precisely as it is known: '2013', 'Dec 2013' or '2013-12-03'."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.MONTH:
        return value.strftime("%b %Y")
    return value.isoformat()


def period_start(year: int, month: int | None = None) -> datetime.date:
    return datetime.date(year, month or 1, 1)


def period_end(year: int, month: int | None = None) -> datetime.date:
    if month is None:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


PRECISIONS = [choice.value for choice in DatePrecision]


def spell_period(
    joined: datetime.date | None,
    joined_precision: str,
    left: datetime.date | None,
    left_precision: str,
    took_effect: bool,
) -> str:
    """A membership spell as precisely as it is known: '2013–', 'Dec 2013–2019', 'never started'."""
    if joined is None and left is None:
        return "dates not given by source" if took_effect else "never started"
    start = format_partial_date(joined, joined_precision) or "?"
    end = format_partial_date(left, left_precision) or ("never started" if not took_effect else "")
    return f"{start}–{end}"


class SourceQuerySet(models.QuerySet):
    def study_citations(self) -> list[str]:
        """'Study: <citation>' for every study held, in citation order (for download headers)."""
        citations = self.filter(kind=Source.Kind.STUDY).order_by("citation").values_list("citation", flat=True)
        return [f"Study: {citation}" for citation in citations]


class Source(models.Model):
    """Where a fact or a code comes from: an interview, a document, a web page, a
    data set or the study itself. Interviews point to the study that reports them."""

    class Kind(models.TextChoices):
        STUDY = "study", "Study"
        INTERVIEW = "interview", "Interview"
        DOCUMENT = "document", "Document"
        WEBPAGE = "webpage", "Web page"
        DATASET = "dataset", "Data set or member list"

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
            models.CheckConstraint(
                condition=Q(kind__in=["study", "interview", "document", "webpage", "dataset"]),
                name="networks_source_kind_valid",
                violation_error_message="Unknown kind of source.",
            ),
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
        return self.label or self.citation[:80]


class Theme(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NetworkQuerySet(models.QuerySet):
    # The counts are subqueries, one per network, not joins: joining a network's 10,000 spells
    # and its 50,000 codings in one GROUP BY would multiply them (500 million rows).

    def with_member_count(self) -> "NetworkQuerySet":
        """Adds `n_members`: distinct places with a membership spell that took effect."""
        spells = Membership.objects.filter(network=OuterRef("pk"), took_effect=True).order_by().values("network")
        members = spells.annotate(n=Count("city", distinct=True)).values("n")
        return self.annotate(n_members=Coalesce(Subquery(members), 0))

    def for_list(self) -> "NetworkQuerySet":
        """Networks for a list page, with `n_members` and `n_codings`."""
        codings = Coding.objects.filter(network=OuterRef("pk")).order_by().values("network")
        return (
            self.with_member_count()
            .annotate(n_codings=Coalesce(Subquery(codings.annotate(n=Count("pk")).values("n")), 0))
            .select_related("headquarters")
            .order_by("name")
        )

    def for_detail(self) -> "NetworkQuerySet":
        return self.select_related("headquarters", "member_count_source").prefetch_related(
            "themes",
            "regional_offices",
            Prefetch("subnetworks", queryset=SubNetwork.objects.select_related("parent")),
        )

    def for_profile(self, reader: "Reader" = None) -> "NetworkQuerySet":
        """`for_detail()` plus `memberships` (with city and source, by member name) and
        `codings` (the network's own and its members', with city, code, coder and evidence
        as `reader` may see it)."""
        return self.for_detail().prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("city", "source").order_by("city__name", "joined"),
            ),
            Prefetch(
                "codings",
                queryset=Coding.objects.with_evidence(reader).order_by("code__kind", "code__position", "city__name"),
            ),
        )

    def for_graph(self) -> "NetworkQuerySet":
        """Networks by name with `memberships` that took effect (with city), `subnetworks`,
        and `participations` in a sub-network (with city and sub-network)."""
        return self.order_by("name").prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.filter(took_effect=True).select_related("city")),
            Prefetch("subnetworks", queryset=SubNetwork.objects.order_by("name")),
            Prefetch(
                "participations",
                queryset=Participation.objects.filter(subnetwork__isnull=False).select_related("city", "subnetwork"),
            ),
        )

    def matching(self, query: str) -> "NetworkQuerySet":
        """Networks whose name or acronym contains `query`, by name."""
        return self.filter(Q(name__icontains=query) | Q(acronym__icontains=query)).order_by("name")

    def for_api(self) -> "NetworkQuerySet":
        """`for_list()` (with `n_members` and `n_codings`), `themes` and `regional_offices` prefetched."""
        return self.for_list().prefetch_related("themes", "regional_offices")


class Network(models.Model):
    class Scope(models.TextChoices):
        GLOBAL = "global", "Global"
        REGIONAL = "regional", "Regional"
        NATIONAL = "national", "National"

    class Focus(models.TextChoices):
        GENERAL = "general", "General portfolio"
        SPECIALISED = "specialised", "Specialised"

    name = models.CharField(max_length=200, unique=True)
    acronym = models.CharField(max_length=30, blank=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    website = models.URLField(max_length=300, blank=True)
    scope = models.CharField(max_length=20, choices=Scope.choices)
    region = models.CharField(max_length=100, blank=True, help_text="For a regional network, e.g. Europe.")
    focus = models.CharField(max_length=20, choices=Focus.choices)
    themes = models.ManyToManyField(Theme, blank=True, related_name="networks")
    founded = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1800), MaxValueValidator(2200)]
    )
    ended = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1800), MaxValueValidator(2200)]
    )
    successor = models.CharField(max_length=200, blank=True)
    headquarters = models.ForeignKey(
        City,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="network_head_offices",
        verbose_name="head office",
    )
    regional_offices = models.ManyToManyField(City, blank=True, related_name="network_regional_offices")
    funder = models.CharField("funder or sponsor", max_length=200, blank=True)
    politically_led = models.BooleanField(
        null=True, blank=True, help_text="Led by elected politicians of member cities."
    )
    governance = models.TextField(blank=True)
    membership_criteria = models.TextField(blank=True)
    reported_member_count = models.PositiveIntegerField(null=True, blank=True)
    reported_member_count_note = models.CharField(
        max_length=300, blank=True, help_text="What the count covers, e.g. 'full member cities'."
    )
    reported_member_count_as_of = models.DateField(null=True, blank=True)
    member_count_source = models.ForeignKey(Source, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = NetworkQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ended__isnull=True) | Q(founded__isnull=True) | Q(ended__gte=F("founded")),
                name="networks_network_ended_after_founded",
                violation_error_message="A network cannot end before it was founded.",
            ),
            models.CheckConstraint(
                condition=Q(scope__in=["global", "regional", "national"]),
                name="networks_network_scope_valid",
                violation_error_message="Unknown scope.",
            ),
            models.CheckConstraint(
                condition=Q(focus__in=["general", "specialised"]),
                name="networks_network_focus_valid",
                violation_error_message="Unknown focus.",
            ),
            models.CheckConstraint(
                condition=Q(reported_member_count__isnull=True) | Q(reported_member_count_as_of__isnull=False),
                name="networks_network_member_count_dated",
                violation_error_message="A reported member count needs the date it was reported for.",
            ),
        ]

    def __str__(self) -> str:
        return self.acronym or self.name

    def get_absolute_url(self) -> str:
        return reverse("networks:network_detail", args=[self.slug])


class MembershipQuerySet(models.QuerySet):
    def in_network(self, network: Network) -> "MembershipQuerySet":
        return self.filter(network=network)

    def member_on(self, day: datetime.date) -> "MembershipQuerySet":
        """Spells that took effect and cover `day` (an unknown start or end counts as open)."""
        return self.filter(
            Q(took_effect=True),
            Q(joined__isnull=True) | Q(joined__lte=day),
            Q(left__isnull=True) | Q(left__gte=day),
        )

    def current(self) -> "MembershipQuerySet":
        return self.filter(took_effect=True, left__isnull=True)

    def for_list(self) -> "MembershipQuerySet":
        return self.select_related("city", "network", "source").order_by("network__name", "city__name", "joined")

    def for_export(self) -> "MembershipQuerySet":
        """These spells as plain value tuples for a full download, in this queryset's order:
        (id, city slug, name, country and kind, network id, type, joined, joined precision,
        left, left precision, application round, took effect, listed on, source id, note,
        created at, updated at). The network's and source's own values are the same for
        thousands of spells: read them once (`Network`, `Source`) rather than on every row.
        The two timestamps come as the database's text (see `iso_utc`): parsing 200,000 of
        them costs more than the rest of the row."""
        return self.values_list(
            "id",
            "city__slug",
            "city__name",
            "city__country",
            "city__kind",
            "network_id",
            "type",
            "joined",
            "joined_precision",
            "left",
            "left_precision",
            "application_round",
            "took_effect",
            "listed_on",
            "source_id",
            "note",
            Cast("created_at", output_field=models.CharField()),
            Cast("updated_at", output_field=models.CharField()),
        )

    def for_members_table(self) -> "MembershipQuerySet":
        """Spells with city and source, by member name and start: a network page's members table."""
        return self.select_related("city", "source").order_by("city__name", "joined", "pk")

    def for_map_rows(self, network: Network | None = None) -> "MembershipQuerySet":
        """`for_map()` as the tuples `aggregates.member_places_from_rows` takes: (city id, slug,
        name, country, kind, latitude, longitude, network slug, network label)."""
        label = Case(When(network__acronym="", then=F("network__name")), default=F("network__acronym"))
        return self.for_map(network).values_list(
            "city_id",
            "city__slug",
            "city__name",
            "city__country",
            "city__kind",
            "city__latitude",
            "city__longitude",
            "network__slug",
            label,
        )

    def for_map(self, network: Network | None = None) -> "MembershipQuerySet":
        """Spells that took effect (of `network`, if given) with city and network, by member name."""
        memberships = self.filter(took_effect=True).select_related("city", "network")
        if network is not None:
            memberships = memberships.filter(network=network)
        return memberships.order_by("city__name", "network__name")


def iso_utc(text: str | None) -> str | None:
    """A UTC timestamp as the database writes it as text ('2026-11-26 14:33:57.5+00' on
    PostgreSQL, '2026-11-26 14:33:57.500000' on SQLite) in the API's form, as DRF writes a
    datetime in UTC: '2026-11-26T14:33:57.500000Z'."""
    if text is None:
        return None
    date, _, time = text.partition(" ")
    time = time.removesuffix("+00")
    if "." in time:
        seconds, _, fraction = time.partition(".")
        time = f"{seconds}.{fraction.ljust(6, '0')}"
    return f"{date}T{time}Z"


class Membership(models.Model):
    """One spell of a place's membership of a network. A place that leaves and
    rejoins has several spells."""

    class Type(models.TextChoices):
        FULL = "full", "Full member"
        ASSOCIATE = "associate", "Associate member"
        PARTNER = "partner", "Partner"
        OBSERVER = "observer", "Observer"
        UNKNOWN = "unknown", "Not given by source"

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="memberships")
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="memberships")
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.UNKNOWN)
    joined = models.DateField(null=True, blank=True, help_text="First day of the period it is known to.")
    joined_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    left = models.DateField(null=True, blank=True, help_text="Last day of the period it is known to.")
    left_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    application_round = models.PositiveSmallIntegerField(null=True, blank=True)
    took_effect = models.BooleanField(
        default=True,
        help_text="Off when the place was selected or admitted but the membership never started.",
    )
    listed_on = models.DateField(
        null=True, blank=True, help_text="Date on which the source lists the place as a member."
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="memberships")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MembershipQuerySet.as_manager()
    # Who changed what and when, viewable and revertible in the admin.
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(left__isnull=True) | Q(joined__isnull=True) | Q(left__gte=F("joined")),
                name="networks_membership_left_after_joined",
                violation_error_message="A membership cannot end before it starts.",
            ),
            models.UniqueConstraint(
                fields=["city", "network", "joined"],
                name="networks_membership_one_spell_per_start",
                violation_error_message="This place already has a membership spell of this network starting then.",
            ),
            # NULLs are distinct in a unique index, so undated spells need their own rule.
            models.UniqueConstraint(
                fields=["city", "network"],
                condition=Q(joined__isnull=True),
                name="networks_membership_one_undated_spell",
                violation_error_message="This place already has a membership spell of this network with no start date.",
            ),
            models.CheckConstraint(
                condition=Q(type__in=["full", "associate", "partner", "observer", "unknown"]),
                name="networks_membership_type_valid",
                violation_error_message="Unknown membership type.",
            ),
            models.CheckConstraint(
                condition=Q(joined_precision__in=PRECISIONS) & Q(left_precision__in=PRECISIONS),
                name="networks_membership_precision_valid",
                violation_error_message="Date precision must be day, month or year.",
            ),
        ]
        indexes = [
            # network profile: members of one network, member on a date
            models.Index(fields=["network", "joined", "left"], name="networks_membership_dates_idx"),
            # city lists filtered by network (HTML and API): the places with a spell in one network, and their count
            models.Index(fields=["network", "city"], name="networks_membership_places_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.city.name} in {self.network} ({self.period})"

    @property
    def joined_display(self) -> str:
        return format_partial_date(self.joined, self.joined_precision)

    @property
    def left_display(self) -> str:
        return format_partial_date(self.left, self.left_precision)

    @property
    def period(self) -> str:
        return spell_period(self.joined, self.joined_precision, self.left, self.left_precision, self.took_effect)


class SubNetwork(models.Model):
    """A part of a network where work happens: a thematic forum, a working group,
    a platform, an office or a project."""

    class Kind(models.TextChoices):
        FORUM = "forum", "Thematic forum"
        WORKING_GROUP = "working_group", "Working group"
        PLATFORM = "platform", "Platform"
        OFFICE = "office", "Office"
        PROJECT = "project", "Project"
        COMMITTEE = "committee", "Committee"
        OTHER = "other", "Other"

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="subnetworks")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    permanent = models.BooleanField(null=True, blank=True, help_text="Permanent or temporary; empty if unknown.")
    description = models.TextField(blank=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, null=True, blank=True, related_name="subnetworks")

    class Meta:
        ordering = ["network", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["network", "slug"],
                name="networks_subnetwork_unique_slug",
                violation_error_message="This network already has a sub-network with this slug.",
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="networks_subnetwork_not_own_parent",
                violation_error_message="A sub-network cannot be its own parent.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["forum", "working_group", "platform", "office", "project", "committee", "other"]),
                name="networks_subnetwork_kind_valid",
                violation_error_message="Unknown kind of sub-network.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}: {self.name}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.parent_id and self.network_id and self.parent.network_id != self.network_id:
            raise ValidationError({"parent": "The parent must belong to the same network."})


class ParticipationQuerySet(models.QuerySet):
    def for_city(self, city: City) -> "ParticipationQuerySet":
        return (
            self.filter(city=city)
            .select_related("network", "subnetwork", "source")
            .order_by("network__name", "subnetwork__name", "unit")
        )

    def for_list(self) -> "ParticipationQuerySet":
        """With city, network, sub-network and source; by network, city, sub-network and unit."""
        return self.select_related("city", "network", "subnetwork", "source").order_by(
            "network__name", "city__name", "subnetwork__name", "unit"
        )


class Participation(models.Model):
    """Which unit of a city's administration (a department, a political body, a
    role) takes part in a network or one of its sub-networks, and how much."""

    class UnitKind(models.TextChoices):
        ADMINISTRATION = "administration", "Administrative staff or department"
        POLITICAL = "political", "Politicians"
        ROLE = "role", "A named role"

    class Involvement(models.TextChoices):
        LEADING = "leading", "Leading"
        REGULAR = "regular", "Regular"
        OCCASIONAL = "occasional", "Now and then"
        RARE = "rare", "Rarely"
        UNKNOWN = "unknown", "Not stated"

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="participations")
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="participations")
    subnetwork = models.ForeignKey(
        SubNetwork, on_delete=models.PROTECT, null=True, blank=True, related_name="participations"
    )
    unit = models.CharField(max_length=200, help_text="Department, body or role, e.g. 'administrative staff'.")
    unit_kind = models.CharField(max_length=20, choices=UnitKind.choices)
    involvement = models.CharField(max_length=20, choices=Involvement.choices, default=Involvement.UNKNOWN)
    since = models.DateField(null=True, blank=True)
    since_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.YEAR)
    until = models.DateField(null=True, blank=True)
    until_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.YEAR)
    note = models.TextField(blank=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="participations")
    locator = models.CharField(max_length=100, blank=True, help_text="Page or interview, e.g. 'p. 72'.")

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(since__isnull=True) | Q(until__gte=F("since")),
                name="networks_participation_until_after_since",
                violation_error_message="A participation cannot end before it starts.",
            ),
            models.UniqueConstraint(
                fields=["city", "network", "subnetwork", "unit", "since"],
                name="networks_participation_unique",
                violation_error_message="This unit's participation is already recorded.",
            ),
            models.CheckConstraint(
                condition=Q(unit_kind__in=["administration", "political", "role"]),
                name="networks_participation_unit_kind_valid",
                violation_error_message="Unknown kind of unit.",
            ),
            models.CheckConstraint(
                condition=Q(involvement__in=["leading", "regular", "occasional", "rare", "unknown"]),
                name="networks_participation_involvement_valid",
                violation_error_message="Unknown involvement.",
            ),
        ]

    def __str__(self) -> str:
        where = self.subnetwork.name if self.subnetwork_id else str(self.network)
        return f"{self.city.name}: {self.unit} in {where}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.subnetwork_id and self.network_id and self.subnetwork.network_id != self.network_id:
            raise ValidationError({"subnetwork": "The sub-network must belong to the chosen network."})


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
    def current(self) -> "CodeQuerySet":
        return self.filter(version__is_current=True).order_by("kind", "position")

    def functions(self) -> "CodeQuerySet":
        return self.filter(kind=Code.Kind.FUNCTION)

    def logics(self) -> "CodeQuerySet":
        return self.filter(kind=Code.Kind.LOGIC)

    def for_list(self) -> "CodeQuerySet":
        """Every version's codes with their version: the current version first, then newest."""
        return self.select_related("version").order_by(
            "-version__is_current", "-version__released", "kind", "position", "code"
        )


class Code(models.Model):
    class Kind(models.TextChoices):
        FUNCTION = "function", "Network function"
        LOGIC = "logic", "Logic of participation"

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
            models.CheckConstraint(
                condition=Q(kind__in=["function", "logic"]),
                name="networks_code_kind_valid",
                violation_error_message="A code is a function or a logic.",
            ),
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
    def for_city(self, city: City, reader: "Reader" = None) -> "CodingQuerySet":
        return self.filter(city=city).with_evidence(reader).order_by("network__name", "code__kind", "code__position")

    def for_network_as_whole(self, network: Network) -> "CodingQuerySet":
        return self.filter(network=network, city__isnull=True)

    def of_members(self, network: Network) -> "CodingQuerySet":
        """Codings of member cities' use of `network` (not of the network as a whole)."""
        return self.filter(network=network, city__isnull=False)

    def functions_offered(self, network: Network) -> "CodingQuerySet":
        """What `network` says it offers: (function code, highest salience) pairs from its own
        codings, summed up by the database (`aggregates.offer_and_use`'s `own`)."""
        own = self.for_network_as_whole(network).filter(code__kind=Code.Kind.FUNCTION)
        return own.values_list("code__code").annotate(salience=models.Max("salience")).order_by()

    def functions_used(self, network: Network) -> "CodingQuerySet":
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
        self, network: Network | None = None, cities: list[str] | None = None, reader: "Reader" = None
    ) -> "CodingQuerySet":
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

    def for_matrix_rows(self, network: Network | None = None, cities: list[str] | None = None) -> "CodingQuerySet":
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

    def with_evidence(self, reader: "Reader" = None) -> "CodingQuerySet":
        """Joins city, network, code and coder; prefetches `evidence` with its source, as
        `reader` may see it (`Evidence.objects.for_reader()`: None is the public)."""
        evidence = Evidence.objects.for_reader(reader).select_related("source").order_by("position", "pk")
        return self.select_related("city", "network", "code", "coder").prefetch_related(
            Prefetch("evidence", queryset=evidence)
        )

    def for_list(self, reader: "Reader" = None) -> "CodingQuerySet":
        """`with_evidence(reader)`, by network, city, code kind and position."""
        return self.with_evidence(reader).order_by("network__name", "city__name", "code__kind", "code__position")

    def with_evidence_matching(self, query: str, reader: "Reader" = None) -> "CodingQuerySet":
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
        self, network: Network | None = None, cities: list[str] | None = None, reader: "Reader" = None
    ) -> "CodingQuerySet":
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
        self, network: Network | None = None, cities: list[str] | None = None, reader: "Reader" = None
    ) -> "CodingQuerySet":
        """Codings to compare coders on, as `for_export()`: `agreement.coding_rows()` turns
        them into the rows `networks.agreement` works on."""
        return self.for_export(network=network, cities=cities, reader=reader)


class Coding(models.Model):
    """A code applied to a city's use of a network, or (with no city) to what a
    network as a whole says it offers."""

    class Outcome(models.TextChoices):
        MET = "met", "Met"
        MIXED = "mixed", "Mixed"
        UNMET = "unmet", "Unmet"
        UNKNOWN = "unknown", "Unknown"

    class Perspective(models.TextChoices):
        CITY = "city", "The city's informants"
        NETWORK = "network", "The network's staff"
        RESEARCHER = "researcher", "The researchers' analysis"

    SALIENCE_LABELS = {0: "explicitly not important", 1: "minor", 2: "important", 3: "central"}

    city = models.ForeignKey(
        City,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="codings",
        help_text="Empty for the network as a whole (what it says it offers).",
    )
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="codings")
    code = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="codings")
    salience = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(3)],
        help_text="3 central, 2 important, 1 minor, 0 explicitly not important.",
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
                condition=Q(salience__gte=0) & Q(salience__lte=3),
                name="networks_coding_salience_range",
                violation_error_message="Salience runs from 0 (explicitly not important) to 3 (central).",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["", "met", "mixed", "unmet", "unknown"]),
                name="networks_coding_outcome_valid",
                violation_error_message="Outcome must be met, mixed, unmet, unknown or empty.",
            ),
            models.CheckConstraint(
                condition=Q(perspective__in=["city", "network", "researcher"]),
                name="networks_coding_perspective_valid",
                violation_error_message="Unknown perspective.",
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
        ]

    def __str__(self) -> str:
        who = self.city.name if self.city_id else "(network as a whole)"
        return f"{who} × {self.network} × {self.code.code}: {self.salience}"

    @property
    def salience_label(self) -> str:
        return self.SALIENCE_LABELS.get(self.salience, "")


class EvidenceQuerySet(models.QuerySet):
    def for_reader(self, reader: "Reader" = None) -> "EvidenceQuerySet":
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

    def for_matrix_rows(self, codings: "CodingQuerySet", reader: "Reader" = None) -> "EvidenceQuerySet":
        """The evidence of `codings` as plain tuples for `aggregates.coding_rows`, as `reader`
        may see it (`for_reader`): (coding id, id, visibility, kind, text, locator, the source
        as `str(source)` shows it), by coding and position."""
        source = Case(
            When(source__label="", then=Substr("source__citation", 1, 80)),
            default=F("source__label"),
            output_field=models.TextField(),
        )
        return (
            self.filter(coding__in=codings.values("pk"))
            .for_reader(reader)
            .order_by("coding_id", "position", "pk")
            .values_list("coding_id", "id", "visibility", "shown_kind", "shown_text", "shown_locator", source)
        )

    def for_quote_table(self, reader: "Reader" = None) -> "EvidenceQuerySet":
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

    def matching(self, query: str) -> "EvidenceQuerySet":
        """Items of a `for_reader()` queryset whose shown text, shown original text or source
        label contains `query`: a search never finds words a reader may not read."""
        return self.filter(
            Q(shown_text__icontains=query) | Q(shown_original_text__icontains=query) | Q(source__label__icontains=query)
        )


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


class Evidence(models.Model):
    class Kind(models.TextChoices):
        QUOTE = "quote", "Quote"
        PARAPHRASE = "paraphrase", "Paraphrase"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public quote"
        PARAPHRASE_ONLY = "paraphrase", "Paraphrase only"
        RESTRICTED = "restricted", "Restricted"

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
            models.CheckConstraint(
                condition=Q(kind__in=["quote", "paraphrase"]),
                name="networks_evidence_kind_valid",
                violation_error_message="Evidence is a quote or a paraphrase.",
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
            models.CheckConstraint(
                condition=Q(visibility__in=["public", "paraphrase", "restricted"]),
                name="networks_evidence_visibility_valid",
                violation_error_message="Evidence is public, paraphrase only or restricted.",
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


class EngagementObservation(models.Model):
    """How engaged a city was in a network at a date, as a source reports it."""

    class Level(models.IntegerChoices):
        NONE = 0, "None"
        LOW = 1, "Low"
        MODERATE = 2, "Moderate"
        HIGH = 3, "High"

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="engagement_observations")
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="engagement_observations")
    observed_on = models.DateField()
    observed_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.YEAR)
    approximate = models.BooleanField(default=False, help_text="The source says 'about' or 'around'.")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    is_peak = models.BooleanField(default=False, help_text="The source calls this the peak.")
    note = models.TextField(blank=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="engagement_observations")
    locator = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["city", "network", "observed_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=0) & Q(level__lte=3),
                name="networks_engagementobservation_level_range",
                violation_error_message="Engagement level runs from 0 (none) to 3 (high).",
            ),
            models.UniqueConstraint(
                fields=["city", "network", "observed_on", "source"],
                name="networks_engagementobservation_unique",
                violation_error_message="This source already reports engagement for this city, network and date.",
            ),
        ]

    def __str__(self) -> str:
        when = format_partial_date(self.observed_on, self.observed_precision)
        return f"{self.city.name} in {self.network}, {when}: {self.get_level_display()}"

    @property
    def observed_display(self) -> str:
        text = format_partial_date(self.observed_on, self.observed_precision)
        return f"about {text}" if self.approximate else text


class ReleaseQuerySet(models.QuerySet):
    def newest(self) -> "Release | None":
        """The latest release (by release date, then label), or None before the first."""
        return self.order_by("-released", "-label").first()


class Release(models.Model):
    """A frozen, citable snapshot of the data; networks/releases.py builds its files."""

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
