"""Membership spells, who takes part in what, and engagement over time."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Case
from django.db.models import F
from django.db.models import Q
from django.db.models import When
from django.db.models.functions import Cast
from simple_history.models import HistoricalRecords

from cities.models import City
from citynet.constraints import one_of
from networks.dates import PRECISIONS
from networks.dates import DatePrecision
from networks.dates import format_partial_date
from networks.dates import spell_period
from networks.models.sources import Source

if TYPE_CHECKING:
    from networks.models.networks import Network


class MembershipQuerySet(models.QuerySet):
    def in_network(self, network: Network) -> MembershipQuerySet:
        return self.filter(network=network)

    def member_on(self, day: datetime.date) -> MembershipQuerySet:
        """Spells that took effect and cover `day` (an unknown start or end counts as open)."""
        return self.filter(
            Q(took_effect=True),
            Q(joined__isnull=True) | Q(joined__lte=day),
            Q(left__isnull=True) | Q(left__gte=day),
        )

    def current(self) -> MembershipQuerySet:
        return self.filter(took_effect=True, left__isnull=True)

    def for_list(self) -> MembershipQuerySet:
        return self.select_related("city", "network", "source").order_by("network__name", "city__name", "joined")

    def for_export(self) -> MembershipQuerySet:
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

    def for_members_table(self) -> MembershipQuerySet:
        """Spells with city and source, by member name and start: a network page's members table."""
        return self.select_related("city", "source").order_by("city__name", "joined", "pk")

    def for_map_rows(self, network: Network | None = None) -> MembershipQuerySet:
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

    def for_map(self, network: Network | None = None) -> MembershipQuerySet:
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


class MembershipType(models.TextChoices):
    FULL = "full", "Full member"
    ASSOCIATE = "associate", "Associate member"
    PARTNER = "partner", "Partner"
    OBSERVER = "observer", "Observer"
    UNKNOWN = "unknown", "Not given by source"


class Membership(models.Model):
    """One spell of a place's membership of a network. A place that leaves and
    rejoins has several spells."""

    Type = MembershipType

    # No index of its own: the unique (city, network, joined) below serves every lookup by place,
    # and with a second, narrower one PostgreSQL probed a network's spells in name order through
    # it, reading every spell of each place (6.5 ms a page of the largest network; 1.5 ms without).
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="memberships", db_index=False)
    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="memberships")
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
            one_of("type", MembershipType, name="networks_membership_type_valid", message="Unknown membership type."),
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


class ParticipationQuerySet(models.QuerySet):
    def for_city(self, city: City) -> ParticipationQuerySet:
        return (
            self.filter(city=city)
            .select_related("network", "subnetwork", "source")
            .order_by("network__name", "subnetwork__name", "unit")
        )

    def for_list(self) -> ParticipationQuerySet:
        """With city, network, sub-network and source; by network, city, sub-network and unit."""
        return self.select_related("city", "network", "subnetwork", "source").order_by(
            "network__name", "city__name", "subnetwork__name", "unit"
        )


class ParticipationUnitKind(models.TextChoices):
    ADMINISTRATION = "administration", "Administrative staff or department"
    POLITICAL = "political", "Politicians"
    ROLE = "role", "A named role"


class ParticipationInvolvement(models.TextChoices):
    LEADING = "leading", "Leading"
    REGULAR = "regular", "Regular"
    OCCASIONAL = "occasional", "Now and then"
    RARE = "rare", "Rarely"
    UNKNOWN = "unknown", "Not stated"


class Participation(models.Model):
    """Which unit of a city's administration (a department, a political body, a
    role) takes part in a network or one of its sub-networks, and how much."""

    UnitKind = ParticipationUnitKind
    Involvement = ParticipationInvolvement

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="participations")
    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="participations")
    subnetwork = models.ForeignKey(
        "networks.SubNetwork", on_delete=models.PROTECT, null=True, blank=True, related_name="participations"
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
            one_of(
                "unit_kind",
                ParticipationUnitKind,
                name="networks_participation_unit_kind_valid",
                message="Unknown kind of unit.",
            ),
            one_of(
                "involvement",
                ParticipationInvolvement,
                name="networks_participation_involvement_valid",
                message="Unknown involvement.",
            ),
        ]

    def __str__(self) -> str:
        where = self.subnetwork.name if self.subnetwork_id else str(self.network)
        return f"{self.city.name}: {self.unit} in {where}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.subnetwork_id and self.network_id and self.subnetwork.network_id != self.network_id:
            raise ValidationError({"subnetwork": "The sub-network must belong to the chosen network."})


class EngagementObservation(models.Model):
    """How engaged a city was in a network at a date, as a source reports it."""

    class Level(models.IntegerChoices):
        NONE = 0, "None"
        LOW = 1, "Low"
        MODERATE = 2, "Moderate"
        HIGH = 3, "High"

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="engagement_observations")
    network = models.ForeignKey("networks.Network", on_delete=models.PROTECT, related_name="engagement_observations")
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
