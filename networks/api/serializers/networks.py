"""Serializers of networks, membership spells (with their fast CSV: `membership_csv`), sub-
networks, participations, sources and engagement observations."""

from collections.abc import Iterator

from django.db.models import QuerySet
from rest_framework import serializers

from citynet.downloads import quoted_cell
from networks.api.serializers.fields import DATE
from networks.api.serializers.fields import DATETIME
from networks.api.serializers.fields import PLACE_IN_NETWORK_FIELDS
from networks.api.serializers.fields import CleanModelSerializer
from networks.api.serializers.fields import NaturalKeyField
from networks.api.serializers.fields import city_slug_field
from networks.api.serializers.fields import network_slug_field
from networks.api.serializers.fields import version_field
from networks.api.serializers.membership_csv import membership_csv_lines
from networks.models import EngagementObservation
from networks.models import Membership
from networks.models import Network
from networks.models import Participation
from networks.models import Source
from networks.models import SubNetwork
from networks.models import Theme
from networks.models.sources import source_label


class PlaceInNetworkFields(serializers.Serializer):
    """The place and network a record is about, by slug, with their names."""

    city = city_slug_field(help_text="Slug of the member place.")
    city_name = serializers.CharField(source="city.name", read_only=True)
    country = serializers.CharField(source="city.country", read_only=True)
    network = network_slug_field(help_text="Slug of the network.")
    network_name = serializers.CharField(source="network.name", read_only=True)


class NetworkSerializer(CleanModelSerializer):
    themes = NaturalKeyField(
        slug_field="slug", queryset=Theme.objects.all(), many=True, required=False, help_text="Theme slugs."
    )
    headquarters = city_slug_field(allow_null=True, required=False, help_text="Slug of the city of the head office.")
    headquarters_name = serializers.CharField(source="headquarters.name", read_only=True, allow_null=True)
    regional_offices = city_slug_field(many=True, required=False, help_text="Slugs of the regional office cities.")
    n_members = serializers.IntegerField(
        read_only=True, help_text="Distinct places with a membership spell that took effect."
    )
    n_codings = serializers.IntegerField(read_only=True, help_text="Codings in this network.")

    class Meta:
        model = Network
        fields = [
            "slug",
            "name",
            "acronym",
            "description",
            "website",
            "scope",
            "region",
            "focus",
            "themes",
            "founded",
            "ended",
            "successor",
            "headquarters",
            "headquarters_name",
            "regional_offices",
            "funder",
            "politically_led",
            "governance",
            "membership_criteria",
            "reported_member_count",
            "reported_member_count_note",
            "reported_member_count_as_of",
            "member_count_source",
            "n_members",
            "n_codings",
        ]
        validators: list = []


class MembershipSerializer(CleanModelSerializer):
    city = city_slug_field(help_text="Slug of the member place.")
    city_name = serializers.CharField(source="city.name", read_only=True)
    country = serializers.CharField(source="city.country", read_only=True, help_text="ISO 3166-1 alpha-2.")
    city_kind = serializers.CharField(source="city.kind", read_only=True)
    network = network_slug_field(help_text="Slug of the network.")
    network_name = serializers.CharField(source="network.name", read_only=True)
    period = serializers.CharField(read_only=True, help_text="The spell as precisely as it is known, e.g. '2013–'.")
    source_label = serializers.CharField(source="source.__str__", read_only=True)
    source_citation = serializers.CharField(source="source.citation", read_only=True)
    source_url = serializers.CharField(source="source.url", read_only=True)
    updated_at = version_field()

    class Meta:
        model = Membership
        fields = [
            "id",
            "city",
            "city_name",
            "country",
            "city_kind",
            "network",
            "network_name",
            "type",
            "joined",
            "joined_precision",
            "left",
            "left_precision",
            "period",
            "application_round",
            "took_effect",
            "listed_on",
            "source",
            "source_label",
            "source_citation",
            "source_url",
            "note",
            "created_at",
            "updated_at",
        ]
        validators: list = []

    def to_representation(self, spell: Membership) -> dict:
        # What DRF's fields give (tests compare), without their per-field machinery, which
        # would be a third of a list page's time. The spell comes with city, network and
        # source (`for_list()`).
        city, network, source = spell.city, spell.network, spell.source
        return {
            "id": spell.pk,
            "city": city.slug,
            "city_name": city.name,
            "country": city.country,
            "city_kind": city.kind,
            "network": network.slug,
            "network_name": network.name,
            "type": spell.type,
            "joined": DATE.to_representation(spell.joined),
            "joined_precision": spell.joined_precision,
            "left": DATE.to_representation(spell.left),
            "left_precision": spell.left_precision,
            "period": spell.period,
            "application_round": spell.application_round,
            "took_effect": spell.took_effect,
            "listed_on": DATE.to_representation(spell.listed_on),
            "source": spell.source_id,
            "source_label": str(source),
            "source_citation": source.citation,
            "source_url": source.url,
            "note": spell.note,
            "created_at": DATETIME.to_representation(spell.created_at),
            "updated_at": DATETIME.to_representation(spell.updated_at),
        }

    @classmethod
    def csv_text(cls, spells: QuerySet, columns: list[str]) -> Iterator[str]:
        """`spells` as the CSV lines `csv_lines()` writes for their `to_representation()`, at the
        speed of an export of every spell: DRF's per-field machinery would dominate it. The
        lines are written from `for_export()` value tuples (`membership_csv_lines`), in this
        serializer's fields and order: `columns` must be `Meta.fields`, so that a field added here
        and not there fails loudly rather than going missing. Timestamps are the database's UTC
        text (`iso_utc`). Three queries: networks, sources, spells."""
        if list(columns) != cls.Meta.fields:
            raise ValueError(f"The membership CSV writes {cls.__name__}.Meta.fields in order, not {columns}.")
        networks = Network.objects.filter(pk__in=spells.values("network")).values_list("pk", "slug", "name")
        sources = Source.objects.filter(pk__in=spells.values("source")).values_list(
            "pk", "kind", "label", "citation", "interview_number", "year", "url"
        )
        return membership_csv_lines(
            spells.for_export().iterator(chunk_size=2000),
            networks={pk: f"{quoted_cell(slug)},{quoted_cell(name)}" for pk, slug, name in networks},
            sources={
                pk: f"{pk},{quoted_cell(source_label(kind, label, citation, number, year))},"
                f"{quoted_cell(citation)},{quoted_cell(url)}"
                for pk, kind, label, citation, number, year, url in sources
            },
        )


class SubNetworkSerializer(CleanModelSerializer):
    network = network_slug_field(help_text="Slug of the network it belongs to.")
    network_name = serializers.CharField(source="network.name", read_only=True)
    parent_name = serializers.CharField(source="parent.name", read_only=True, allow_null=True)

    class Meta:
        model = SubNetwork
        fields = [
            "id",
            "network",
            "network_name",
            "slug",
            "name",
            "kind",
            "permanent",
            "parent",
            "parent_name",
            "description",
            "source",
        ]
        validators: list = []


class ParticipationSerializer(CleanModelSerializer, PlaceInNetworkFields):
    subnetwork_name = serializers.CharField(source="subnetwork.name", read_only=True, allow_null=True)
    source_label = serializers.CharField(source="source.__str__", read_only=True)

    class Meta:
        model = Participation
        fields = [
            "id",
            *PLACE_IN_NETWORK_FIELDS,
            "subnetwork",
            "subnetwork_name",
            "unit",
            "unit_kind",
            "involvement",
            "since",
            "since_precision",
            "until",
            "until_precision",
            "note",
            "source",
            "source_label",
            "locator",
        ]
        validators: list = []


class SourceSerializer(CleanModelSerializer):
    class Meta:
        model = Source
        fields = [
            "id",
            "kind",
            "label",
            "citation",
            "url",
            "year",
            "part_of",
            "interview_number",
            "organisation",
            "informant_role",
        ]
        validators: list = []


class EngagementObservationSerializer(CleanModelSerializer, PlaceInNetworkFields):
    observed_display = serializers.CharField(read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    source_label = serializers.CharField(source="source.__str__", read_only=True)

    class Meta:
        model = EngagementObservation
        fields = [
            "id",
            *PLACE_IN_NETWORK_FIELDS,
            "observed_on",
            "observed_precision",
            "approximate",
            "observed_display",
            "level",
            "level_label",
            "is_peak",
            "note",
            "source",
            "source_label",
            "locator",
        ]
        validators: list = []
