"""Serializers of the REST API (v1): its resources and their writes (the aggregates' shapes: `shapes`).

Related objects are named by their natural key (city and network slugs, code, coder name)
and come with their display names (`city_name`, `network_name`), all read through
`select_related`, so a serializer never queries. Every write runs the model's
`full_clean()`, because DRF never runs a model's CheckConstraints or `clean()`.
"""

import copy

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import reverse
from rest_framework import serializers
from rest_framework.settings import api_settings

from cities.models import City
from networks.models import (
    Code,
    CodebookVersion,
    Coder,
    Coding,
    EngagementObservation,
    Evidence,
    Membership,
    Network,
    Participation,
    Release,
    Source,
    SubNetwork,
    Theme,
)
from networks.research.releases import citation_apa, citation_bibtex
from networks.visibility import can_see_restricted


def model_errors(error: DjangoValidationError) -> dict:
    """A Django ValidationError as DRF's error shape: {field or non_field_errors: [messages]}."""
    if not hasattr(error, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
        for field, messages in error.message_dict.items()
    }


class NaturalKeyField(serializers.SlugRelatedField):
    """A related object named by its natural key (slug, code, label, name)."""

    def to_internal_value(self, data):
        # PostgreSQL refuses NUL in a query parameter; DRF would let the database error through.
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def city_slug_field(**kwargs) -> NaturalKeyField:
    return NaturalKeyField(slug_field="slug", queryset=City.objects.all(), **kwargs)


def network_slug_field(**kwargs) -> NaturalKeyField:
    return NaturalKeyField(slug_field="slug", queryset=Network.objects.all(), **kwargs)


def version_field() -> serializers.DateTimeField:
    """`updated_at`: shown as usual, and on a change optionally sent back as the version the
    change is based on (networks.concurrency); never written."""
    return serializers.DateTimeField(
        required=False,
        help_text="When the record was last saved: its version. On a change, optionally send back the value "
        "you read: if the record has been saved since, the change is refused with 409 (or use If-Match). "
        "Ignored on create.",
    )


class CleanModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose writes are checked by the model itself.

    `validate()` builds the instance the write would save and calls `full_clean()`: field
    validators, the model's `clean()`, unique and check constraints, with the models'
    own messages. DRF's derived unique-together validators are switched off
    (`Meta.validators = []`) so each rule has one message, the model's.
    """

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        try:
            self.candidate(attrs).full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(model_errors(error)) from error
        return attrs

    def candidate(self, attrs: dict):
        """The unsaved instance this write would produce (to-many relations left out)."""
        plain = {
            name: value
            for name, value in attrs.items()
            if not isinstance(self.fields.get(name), (serializers.ManyRelatedField, serializers.ListSerializer))
        }
        if self.instance is None:
            return self.Meta.model(**plain)
        instance = copy.copy(self.instance)  # Model.__getstate__ copies the related-object cache too
        for name, value in plain.items():
            setattr(instance, name, value)
        return instance


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


class ParticipationSerializer(CleanModelSerializer):
    city = city_slug_field(help_text="Slug of the member place.")
    city_name = serializers.CharField(source="city.name", read_only=True)
    country = serializers.CharField(source="city.country", read_only=True)
    network = network_slug_field(help_text="Slug of the network.")
    network_name = serializers.CharField(source="network.name", read_only=True)
    subnetwork_name = serializers.CharField(source="subnetwork.name", read_only=True, allow_null=True)
    source_label = serializers.CharField(source="source.__str__", read_only=True)

    class Meta:
        model = Participation
        fields = [
            "id",
            "city",
            "city_name",
            "country",
            "network",
            "network_name",
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


class CodeSerializer(CleanModelSerializer):
    version = NaturalKeyField(
        slug_field="label", queryset=CodebookVersion.objects.all(), help_text="Codebook version label."
    )

    class Meta:
        model = Code
        fields = [
            "code",
            "version",
            "name",
            "kind",
            "position",
            "definition",
            "when_to_use",
            "when_not_to_use",
            "example",
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


SHOWN_TEXT_HELP = (
    "As you may read it: a reader without the permission to see restricted evidence gets, for "
    "paraphrase-only evidence, the public paraphrase (as a paraphrase) and, for restricted evidence, "
    "an empty text."
)


class EvidenceSerializer(serializers.ModelSerializer):
    """An evidence item of a coding. A read shows what the reader may see (networks.visibility,
    from `Evidence.objects.for_reader()`); a write sets the stored values."""

    id = serializers.IntegerField(
        required=False, help_text="On update, the id of evidence to keep; leave out for new evidence."
    )
    source_label = serializers.CharField(source="source.__str__", read_only=True)
    citation = serializers.CharField(read_only=True, help_text="Source and locator, as cited.")

    class Meta:
        model = Evidence
        fields = [
            "id",
            "kind",
            "visibility",
            "text",
            "original_text",
            "public_paraphrase",
            "language",
            "source",
            "source_label",
            "locator",
            "citation",
            "position",
        ]
        extra_kwargs = {
            "text": {"help_text": f"{SHOWN_TEXT_HELP} On a write: the verbatim text."},
            "original_text": {"help_text": "Empty for a reader who may not see it verbatim."},
            "locator": {"help_text": "Page, section or time; empty for restricted evidence you may not see."},
        }
        validators: list = []

    def to_representation(self, item: Evidence) -> dict:
        # The masked values, never the stored ones: `for_reader()` does not even fetch those.
        return {
            "id": item.pk,
            "kind": item.shown_kind,
            "visibility": item.visibility,
            "text": item.shown_text,
            "original_text": item.shown_original_text,
            "public_paraphrase": item.shown_paraphrase,
            "language": item.language,
            "source": item.source_id,
            "source_label": str(item.source),
            "locator": item.shown_locator,
            "citation": item.shown_citation,
            "position": item.position,
        }

    def validate(self, attrs: dict) -> dict:
        # Checked without its coding, which may not exist yet; CodingSerializer checks the set.
        attrs = super().validate(attrs)
        fields = {name: value for name, value in attrs.items() if name != "id"}
        try:
            Evidence(**fields).full_clean(exclude=["coding"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(model_errors(error)) from error
        return attrs


class CodingSerializer(CleanModelSerializer):
    """A coding with its evidence. Writing `evidence` replaces the coding's evidence with
    the list given: items with an `id` update that evidence, items without one are added,
    and evidence left out is deleted. Leave `evidence` out to keep it as it is."""

    city = city_slug_field(
        allow_null=True, required=False, help_text="Slug of the city; null for the network as a whole."
    )
    city_name = serializers.CharField(source="city.name", read_only=True, allow_null=True)
    country = serializers.CharField(source="city.country", read_only=True, allow_null=True)
    network = network_slug_field(help_text="Slug of the network.")
    network_name = serializers.CharField(source="network.name", read_only=True)
    code = NaturalKeyField(
        slug_field="code", queryset=Code.objects.current(), help_text="A code of the current codebook."
    )
    code_name = serializers.CharField(source="code.name", read_only=True)
    code_kind = serializers.CharField(source="code.kind", read_only=True)
    salience_label = serializers.CharField(read_only=True)
    coder = NaturalKeyField(slug_field="name", queryset=Coder.objects.all(), help_text="Coder name.")
    updated_at = version_field()
    evidence = EvidenceSerializer(many=True, required=False)

    class Meta:
        model = Coding
        fields = [
            "id",
            "city",
            "city_name",
            "country",
            "network",
            "network_name",
            "code",
            "code_name",
            "code_kind",
            "salience",
            "salience_label",
            "outcome",
            "perspective",
            "coder",
            "coded_at",
            "note",
            "updated_at",
            "evidence",
        ]
        validators: list = []

    def to_internal_value(self, data):
        if isinstance(data, dict) and "evidence" in data and self.hides_evidence_from_writer():
            # The writer read masked texts; writing them back would overwrite the verbatim ones.
            raise serializers.ValidationError(
                {
                    "evidence": [
                        "This coding has restricted or paraphrase-only evidence you may not read, so you "
                        "may not replace its evidence. Leave `evidence` out to change the coding alone."
                    ]
                }
            )
        return super().to_internal_value(data)

    def hides_evidence_from_writer(self) -> bool:
        """Whether the coding being changed has evidence the writer may not read verbatim."""
        request = self.context.get("request")
        if self.instance is None or can_see_restricted(request.user if request else None):
            return False
        return self.instance.evidence.exclude(visibility=Evidence.Visibility.PUBLIC).exists()

    def validate_evidence(self, items: list[dict]) -> list[dict]:
        known = set(self.instance.evidence.values_list("pk", flat=True)) if self.instance else set()
        errors, seen = {}, set()
        for index, item in enumerate(items):
            if item.get("id") is not None and item["id"] not in known:
                errors.setdefault(index, {})["id"] = ["This coding has no evidence with this id."]
            key = (item["source"].pk, item["text"])
            if key in seen:
                errors.setdefault(index, {})["text"] = ["This coding already has this evidence from this source."]
            seen.add(key)
        if errors:
            # Keyed by the item's index, as DRF reports the items' own field errors.
            raise serializers.ValidationError(errors)
        return items

    @transaction.atomic
    def create(self, validated_data: dict) -> Coding:
        evidence = validated_data.pop("evidence", [])
        coding = super().create(validated_data)
        self.write_evidence(coding, evidence)
        return coding

    @transaction.atomic
    def update(self, instance: Coding, validated_data: dict) -> Coding:
        evidence = validated_data.pop("evidence", None)
        coding = super().update(instance, validated_data)
        if evidence is not None:
            self.write_evidence(coding, evidence)
        return coding

    @staticmethod
    def write_evidence(coding: Coding, items: list[dict]) -> None:
        kept = [item["id"] for item in items if item.get("id") is not None]
        coding.evidence.exclude(pk__in=kept).delete()
        existing = coding.evidence.in_bulk(kept)
        for position, item in enumerate(items):
            values = {"position": position, **item}
            evidence = existing[values.pop("id")] if values.get("id") is not None else Evidence(coding=coding)
            values.pop("id", None)
            for name, value in values.items():
                setattr(evidence, name, value)
            evidence.save()


class EngagementObservationSerializer(CleanModelSerializer):
    city = city_slug_field(help_text="Slug of the member place.")
    city_name = serializers.CharField(source="city.name", read_only=True)
    country = serializers.CharField(source="city.country", read_only=True)
    network = network_slug_field(help_text="Slug of the network.")
    network_name = serializers.CharField(source="network.name", read_only=True)
    observed_display = serializers.CharField(read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    source_label = serializers.CharField(source="source.__str__", read_only=True)

    class Meta:
        model = EngagementObservation
        fields = [
            "id",
            "city",
            "city_name",
            "country",
            "network",
            "network_name",
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


class QuoteSerializer(serializers.ModelSerializer):
    """An evidence item as a row of the quote table: the coding it supports, flattened. The
    text is what the reader may see (networks.visibility, `Evidence.objects.for_quote_table()`)."""

    coding = serializers.IntegerField(source="coding_id", read_only=True)
    city = serializers.CharField(
        source="coding.city.slug", allow_null=True, help_text="City slug; null for a network as a whole."
    )
    city_name = serializers.CharField(source="coding.city.name", allow_null=True)
    country = serializers.CharField(source="coding.city.country", allow_null=True)
    network = serializers.CharField(source="coding.network.slug")
    network_name = serializers.CharField(source="coding.network.name")
    code = serializers.CharField(source="coding.code.code")
    code_name = serializers.CharField(source="coding.code.name")
    code_kind = serializers.ChoiceField(source="coding.code.kind", choices=Code.Kind.choices)
    salience = serializers.IntegerField(source="coding.salience", help_text="0-3, of the coding.")
    outcome = serializers.ChoiceField(source="coding.outcome", choices=[("", ""), *Coding.Outcome.choices])
    perspective = serializers.ChoiceField(source="coding.perspective", choices=Coding.Perspective.choices)
    coder = serializers.CharField(source="coding.coder.name")
    kind = serializers.ChoiceField(
        source="shown_kind", choices=Evidence.Kind.choices, help_text="Quote or paraphrase, as shown."
    )
    text = serializers.CharField(source="shown_text", help_text=SHOWN_TEXT_HELP)
    original_text = serializers.CharField(
        source="shown_original_text", help_text="The passage in the source's own language, where you may read it."
    )
    locator = serializers.CharField(source="shown_locator", help_text="Empty for restricted evidence you may not see.")
    source_label = serializers.CharField(source="source.__str__")
    source_citation = serializers.CharField(source="source.citation", help_text="The source's full citation.")
    citation = serializers.CharField(source="shown_citation", help_text="Source and locator, as cited.")

    class Meta:
        model = Evidence
        fields = [
            "id",
            "coding",
            "city",
            "city_name",
            "country",
            "network",
            "network_name",
            "code",
            "code_name",
            "code_kind",
            "salience",
            "outcome",
            "perspective",
            "coder",
            "kind",
            "visibility",
            "text",
            "original_text",
            "language",
            "source",
            "source_label",
            "source_citation",
            "locator",
            "citation",
            "position",
        ]
        read_only_fields = fields


class ReleaseSerializer(serializers.ModelSerializer):
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Rows per table.")
    files = serializers.DictField(
        child=serializers.DictField(), help_text="Each file in the bundle: {sha256, bytes}, by its path."
    )
    zip_sha256 = serializers.CharField(help_text="SHA-256 of the zip; check a download against it.")
    download = serializers.SerializerMethodField(help_text="Address of the zip.")
    citation_apa = serializers.SerializerMethodField()
    citation_bibtex = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = [
            "label",
            "released",
            "description",
            "counts",
            "files",
            "zip_sha256",
            "download",
            "citation_apa",
            "citation_bibtex",
            "created_at",
        ]
        read_only_fields = fields

    def _download(self, release: Release) -> str:
        path = reverse("networks:release_download", args=[release.label])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_download(self, release: Release) -> str:
        return self._download(release)

    def get_citation_apa(self, release: Release) -> str:
        return citation_apa(release.label, release.released, self._download(release)).replace("*", "")

    def get_citation_bibtex(self, release: Release) -> str:
        return citation_bibtex(release.label, release.released, self._download(release))
