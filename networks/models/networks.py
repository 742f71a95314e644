"""Networks, their themes and their sub-networks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.validators import MaxValueValidator
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count
from django.db.models import F
from django.db.models import OuterRef
from django.db.models import Prefetch
from django.db.models import Q
from django.db.models import Subquery
from django.db.models.functions import Coalesce

from cities.models import City
from citynet.constraints import one_of
from citynet.links import slug_url
from networks.models.codings import Coding
from networks.models.memberships import Membership
from networks.models.memberships import Participation
from networks.models.sources import Source

if TYPE_CHECKING:
    from networks.visibility import Reader


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

    def with_member_count(self) -> NetworkQuerySet:
        """Adds `n_members`: distinct places with a membership spell that took effect."""
        spells = Membership.objects.filter(network=OuterRef("pk"), took_effect=True).order_by().values("network")
        members = spells.annotate(n=Count("city", distinct=True)).values("n")
        return self.annotate(n_members=Coalesce(Subquery(members), 0))

    def for_list(self) -> NetworkQuerySet:
        """Networks for a list page, with `n_members` and `n_codings`."""
        codings = Coding.objects.filter(network=OuterRef("pk")).order_by().values("network")
        # COUNT(*), not COUNT(id): PostgreSQL counts a network's codings from the index on
        # network alone. Counting ids read every coding's row, and the plan cost 1 million, over
        # the threshold at which PostgreSQL compiles a query (JIT), which took longer than the
        # query itself (0.3 s of the home page's 0.7 s after a write).
        return (
            self.with_member_count()
            .annotate(n_codings=Coalesce(Subquery(codings.annotate(n=Count("*")).values("n")), 0))
            .select_related("headquarters")
            .order_by("name")
        )

    def for_detail(self) -> NetworkQuerySet:
        return self.select_related("headquarters", "member_count_source").prefetch_related(
            "themes",
            "regional_offices",
            Prefetch("subnetworks", queryset=SubNetwork.objects.select_related("parent")),
        )

    def for_profile(self, reader: Reader = None) -> NetworkQuerySet:
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

    def for_graph(self) -> NetworkQuerySet:
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

    def matching(self, query: str) -> NetworkQuerySet:
        """Networks whose name or acronym contains `query`, by name."""
        return self.filter(Q(name__icontains=query) | Q(acronym__icontains=query)).order_by("name")

    def for_api(self) -> NetworkQuerySet:
        """`for_list()` (with `n_members` and `n_codings`), `themes` and `regional_offices` prefetched."""
        return self.for_list().prefetch_related("themes", "regional_offices")


class NetworkScope(models.TextChoices):
    GLOBAL = "global", "Global"
    REGIONAL = "regional", "Regional"
    NATIONAL = "national", "National"


class NetworkFocus(models.TextChoices):
    GENERAL = "general", "General portfolio"
    SPECIALISED = "specialised", "Specialised"


class Network(models.Model):
    Scope = NetworkScope
    Focus = NetworkFocus

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
            one_of("scope", NetworkScope, name="networks_network_scope_valid", message="Unknown scope."),
            one_of("focus", NetworkFocus, name="networks_network_focus_valid", message="Unknown focus."),
            models.CheckConstraint(
                condition=Q(reported_member_count__isnull=True) | Q(reported_member_count_as_of__isnull=False),
                name="networks_network_member_count_dated",
                violation_error_message="A reported member count needs the date it was reported for.",
            ),
        ]

    def __str__(self) -> str:
        return self.acronym or self.name

    def get_absolute_url(self) -> str:
        return slug_url("networks:network_detail", self.slug)


class SubNetworkKind(models.TextChoices):
    FORUM = "forum", "Thematic forum"
    WORKING_GROUP = "working_group", "Working group"
    PLATFORM = "platform", "Platform"
    OFFICE = "office", "Office"
    PROJECT = "project", "Project"
    COMMITTEE = "committee", "Committee"
    OTHER = "other", "Other"


class SubNetwork(models.Model):
    """A part of a network where work happens: a thematic forum, a working group,
    a platform, an office or a project."""

    Kind = SubNetworkKind

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
            one_of(
                "kind", SubNetworkKind, name="networks_subnetwork_kind_valid", message="Unknown kind of sub-network."
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}: {self.name}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.parent_id and self.network_id and self.parent.network_id != self.network_id:
            raise ValidationError({"parent": "The parent must belong to the same network."})
