"""Serializers of the codebook, codings with their evidence, the quote table and data releases."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import reverse
from rest_framework import serializers

from networks.api.serializers.fields import DATETIME
from networks.api.serializers.fields import PLACE_IN_NETWORK_FIELDS
from networks.api.serializers.fields import CleanModelSerializer
from networks.api.serializers.fields import NaturalKeyField
from networks.api.serializers.fields import StrictStringsMixin
from networks.api.serializers.fields import city_slug_field
from networks.api.serializers.fields import model_errors
from networks.api.serializers.fields import network_slug_field
from networks.api.serializers.fields import version_field
from networks.models import Code
from networks.models import CodebookVersion
from networks.models import Coder
from networks.models import Coding
from networks.models import Evidence
from networks.models import Release
from networks.research.releases import citation_apa
from networks.research.releases import citation_bibtex
from networks.visibility import can_see_restricted


def coded_columns(coding: Coding) -> dict:
    """The place (null: the network as a whole), network and code of a coding, as the API's
    coding and evidence rows both give them (PLACE_IN_NETWORK_FIELDS and the code's three)."""
    city, network, code = coding.city, coding.network, coding.code
    return {
        "city": city.slug if city else None,
        "city_name": city.name if city else None,
        "country": city.country if city else None,
        "network": network.slug,
        "network_name": network.name,
        "code": code.code,
        "code_name": code.name,
        "code_kind": code.kind,
    }


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


SHOWN_TEXT_HELP = (
    "As you may read it: a reader without the permission to see restricted evidence gets, for "
    "paraphrase-only evidence, the public paraphrase (as a paraphrase) and, for restricted evidence, "
    "an empty text."
)


class EvidenceSerializer(StrictStringsMixin, serializers.ModelSerializer):
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

    def to_internal_value(self, data):
        # Each item is whole, also in a PATCH of its coding (DRF would skip the missing
        # required fields of a partial update in the nested items too).
        if isinstance(data, dict) and getattr(self.root, "partial", False):
            missing = [
                name
                for name, field in self.fields.items()
                if field.required and not field.read_only and name not in data
            ]
            if missing:
                raise serializers.ValidationError({name: ["This field is required."] for name in missing})
        return super().to_internal_value(data)

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
            *PLACE_IN_NETWORK_FIELDS,
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

    def to_representation(self, coding: Coding) -> dict:
        # What DRF's fields give (tests compare), without their per-field machinery, which
        # was most of a list page's time. The coding comes with its place, network, code, coder
        # and evidence as the reader may see it (`for_list()`).
        evidence = self.fields["evidence"].child
        return {
            "id": coding.pk,
            **coded_columns(coding),
            "salience": coding.salience,
            "salience_label": coding.salience_label,
            "outcome": coding.outcome,
            "perspective": coding.perspective,
            "coder": coding.coder.name,
            "coded_at": DATETIME.to_representation(coding.coded_at),
            "note": coding.note,
            "updated_at": DATETIME.to_representation(coding.updated_at),
            "evidence": [evidence.to_representation(item) for item in coding.evidence.all()],
        }

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
    salience = serializers.IntegerField(
        source="coding.salience", allow_null=True, help_text="0-3, of the coding; null: coded, not rated."
    )
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
            *PLACE_IN_NETWORK_FIELDS,
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

    def to_representation(self, item: Evidence) -> dict:
        # What DRF's fields give (tests compare), without their per-field machinery. The item
        # comes with its coding's place, network, code and coder, and its source.
        coding, source = item.coding, item.source
        return {
            "id": item.pk,
            "coding": item.coding_id,
            **coded_columns(coding),
            "salience": coding.salience,
            "outcome": coding.outcome,
            "perspective": coding.perspective,
            "coder": coding.coder.name,
            "kind": item.shown_kind,
            "visibility": item.visibility,
            "text": item.shown_text,
            "original_text": item.shown_original_text,
            "language": item.language,
            "source": item.source_id,
            "source_label": str(source),
            "source_citation": source.citation,
            "locator": item.shown_locator,
            "citation": item.shown_citation,
            "position": item.position,
        }


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
