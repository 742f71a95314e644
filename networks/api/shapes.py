"""The shapes of the aggregates (matrix, agreement, facets, portfolio), the queries that ask for
them, citations and errors: serializers that validate a query or document a body in the schema
(the data itself comes from networks.aggregates and networks.research.agreement)."""

from rest_framework import serializers

from networks.api.serializers import SHOWN_TEXT_HELP
from networks.api.serializers import NaturalKeyField
from networks.models import Code
from networks.models import Evidence
from networks.models import Network


class CitationSerializer(serializers.Serializer):
    permalink = serializers.CharField(help_text="This view's address, without `format`, `page` and `page_size`.")
    accessed = serializers.DateField()
    release = serializers.CharField(help_text="The newest data release's label, or `unreleased working data`.")
    sources = serializers.ListField(child=serializers.CharField(), help_text="The original sources of the data.")
    apa = serializers.CharField(help_text="Plain-text APA reference, then a line naming the original sources.")
    bibtex = serializers.CharField(help_text="A BibTeX @misc entry.")


class PlaceRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    country = serializers.CharField()


class NetworkRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    acronym = serializers.CharField()


class CodeColumnSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Code.Kind.choices)


class MatrixEvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    visibility = serializers.ChoiceField(choices=Evidence.Visibility.choices)
    kind = serializers.ChoiceField(choices=Evidence.Kind.choices, help_text="Quote or paraphrase.")
    text = serializers.CharField(help_text=SHOWN_TEXT_HELP)
    locator = serializers.CharField()
    source = serializers.CharField(help_text="Short form of the source.")
    citation = serializers.CharField(help_text="Source and locator, as cited.")


class MatrixCellCodingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    salience = serializers.IntegerField(allow_null=True, help_text="0-3; null: coded, not rated.")
    outcome = serializers.CharField()
    perspective = serializers.CharField()
    coder = serializers.CharField()


class AgreementValueSerializer(serializers.Serializer):
    coder = serializers.CharField()
    applied = serializers.BooleanField(help_text="False: the coder coded the row but not this code.")
    salience = serializers.IntegerField(allow_null=True)
    salience_label = serializers.CharField()
    outcome = serializers.CharField()


class AgreementCellSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[("single", "single"), ("agreed", "agreed"), ("disputed", "disputed")],
        help_text="`single`: one coder coded the row; `agreed`: every coder of the row applied the code with "
        "the same salience and outcome; `disputed`: otherwise.",
    )
    coders = serializers.IntegerField()
    values = AgreementValueSerializer(many=True)
    salience_range = serializers.ListField(
        child=serializers.IntegerField(), allow_null=True, help_text="Lowest and highest rated salience; null if none."
    )
    summary = serializers.CharField()


class MatrixCellSerializer(serializers.Serializer):
    salience = serializers.IntegerField(
        allow_null=True,
        help_text="The highest salience of the cell's codings (0-3); null: coded, but none of them rated "
        "(a coded cell, unlike a null cell, and never a 0).",
    )
    unrated = serializers.IntegerField(help_text="How many of the cell's codings are not rated.")
    outcome = serializers.CharField(help_text="The outcome of the coding with that salience ('' if none applies).")
    perspective = serializers.CharField()
    evidence_count = serializers.IntegerField()
    evidence = MatrixEvidenceSerializer(many=True)
    coders = serializers.ListField(child=serializers.CharField())
    codings = MatrixCellCodingSerializer(many=True, help_text="Every coding behind the cell.")
    agreement = AgreementCellSerializer(help_text="Whether the cell's coders agree.")


class MatrixRowSerializer(serializers.Serializer):
    city = PlaceRefSerializer()
    network = NetworkRefSerializer()
    cells = serializers.DictField(
        child=MatrixCellSerializer(allow_null=True), help_text="By code; null where the code was not applied."
    )


class MatrixSerializer(serializers.Serializer):
    network = NetworkRefSerializer(allow_null=True, help_text="The network asked for; null for all networks.")
    cities = serializers.ListField(child=serializers.CharField(), help_text="The city slugs asked for, if any.")
    codes = CodeColumnSerializer(many=True, help_text="Columns: the current codebook, functions then logics.")
    rows = MatrixRowSerializer(many=True, help_text="One row per city and network, in name order.")
    attribution = serializers.ListField(child=serializers.CharField())
    citation = CitationSerializer()


class NetworkQuerySerializer(serializers.Serializer):
    """An aggregate's query: one network (its slug), or every network (`network` left out; an
    empty `network=` is a 400, not a quiet "every network")."""

    def to_internal_value(self, data):
        if data.get("network", None) == "":
            raise serializers.ValidationError(
                {"network": ["Give a network's slug, or leave the parameter out for every network."]}
            )
        return super().to_internal_value(data)

    network = NaturalKeyField(
        slug_field="slug",
        queryset=Network.objects.all(),
        required=False,
        help_text="Network slug, e.g. `eurocities`; leave out for every network.",
    )


class MatrixQuerySerializer(NetworkQuerySerializer):
    city = serializers.ListField(
        child=serializers.SlugField(max_length=220),
        required=False,
        max_length=100,
        help_text="City slugs to compare (repeat the parameter); leave out for every city.",
    )


class FacetSerializer(serializers.Serializer):
    value = serializers.JSONField(help_text="A value of the dimension (null where it is not known).")
    count = serializers.IntegerField()


class FacetsSerializer(serializers.Serializer):
    resource = serializers.CharField()
    dimension = serializers.CharField()
    total = serializers.IntegerField(help_text="Rows in the filtered list.")
    facets = FacetSerializer(many=True, help_text="By count (highest first), then value.")
    attribution = serializers.ListField(child=serializers.CharField())
    citation = CitationSerializer()


class PortfolioNetworkSerializer(serializers.Serializer):
    network = NetworkRefSerializer()
    spells = serializers.ListField(child=serializers.CharField(), help_text="Membership spells, e.g. '2013–'.")
    functions = serializers.DictField(
        child=serializers.IntegerField(allow_null=True), help_text="Function code: salience (null: coded, not rated)."
    )
    logics = serializers.DictField(
        child=serializers.IntegerField(allow_null=True), help_text="Logic code: salience (null: coded, not rated)."
    )


class PortfolioSerializer(serializers.Serializer):
    city = PlaceRefSerializer()
    codes = CodeColumnSerializer(many=True)
    networks = PortfolioNetworkSerializer(many=True)
    overlaps = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Function code: slugs of the two or more networks that serve it (salience 1 or more, or coded "
        "but not rated).",
    )
    gaps = serializers.ListField(child=serializers.CharField(), help_text="Function codes no network serves.")
    attribution = serializers.ListField(child=serializers.CharField())
    citation = CitationSerializer()


class CoderPairSerializer(serializers.Serializer):
    coders = serializers.ListField(child=serializers.CharField())
    units = serializers.IntegerField()
    presence_agreement = serializers.FloatField(allow_null=True, help_text="Share of units with the same presence.")
    presence_kappa = serializers.FloatField(allow_null=True)
    salience_units = serializers.IntegerField(help_text="Units both coders applied the code in and rated.")
    salience_left_out = serializers.IntegerField(
        help_text="Units where one of the two applied the code without rating it: out of the salience figures."
    )
    salience_agreement = serializers.FloatField(allow_null=True)
    salience_kappa = serializers.FloatField(allow_null=True)


class AgreementFiguresSerializer(serializers.Serializer):
    units = serializers.IntegerField(help_text="Units (case × code) coded by two or more coders.")
    salience_left_out = serializers.IntegerField(
        help_text="Units where a coder applied the code without rating it: that value is out of the salience "
        "figures (the presence figures count it as applied)."
    )
    presence_alpha = serializers.FloatField(allow_null=True, help_text="Krippendorff's alpha, nominal.")
    salience_alpha = serializers.FloatField(allow_null=True, help_text="Krippendorff's alpha, ordinal.")
    presence_kappa = serializers.FloatField(allow_null=True, help_text="Cohen's kappa; null unless one pair.")
    salience_kappa = serializers.FloatField(allow_null=True, help_text="Cohen's kappa; null unless one pair.")
    pairs = CoderPairSerializer(many=True)


class CodeAgreementSerializer(AgreementFiguresSerializer):
    code = serializers.CharField()


class DisagreementEvidenceSerializer(serializers.Serializer):
    visibility = serializers.ChoiceField(choices=Evidence.Visibility.choices)
    kind = serializers.CharField()
    text = serializers.CharField()
    citation = serializers.CharField()


class DisagreementSideSerializer(serializers.Serializer):
    coder = serializers.CharField()
    applied = serializers.BooleanField()
    id = serializers.IntegerField(required=False, help_text="The coding's id, where applied.")
    salience = serializers.IntegerField(required=False, allow_null=True, help_text="Null: applied, not rated.")
    salience_label = serializers.CharField(required=False)
    outcome = serializers.CharField(required=False)
    perspective = serializers.CharField(required=False)
    note = serializers.CharField(required=False)
    evidence = DisagreementEvidenceSerializer(many=True, required=False)


class DisagreementSerializer(serializers.Serializer):
    city = serializers.CharField(allow_null=True, help_text="City slug; null for a network as a whole.")
    city_name = serializers.CharField()
    network = serializers.CharField()
    code = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=[("presence", "presence"), ("salience", "salience"), ("outcome", "outcome")],
        help_text="`presence`: applied by some coders only; `salience`; `outcome`: same salience, other outcome.",
    )
    sides = DisagreementSideSerializer(many=True)


class AgreementSerializer(serializers.Serializer):
    network = NetworkRefSerializer(allow_null=True, help_text="The network asked for; null for all networks.")
    coders = serializers.ListField(child=serializers.CharField())
    cases = serializers.IntegerField(help_text="City × network cases coded by two or more coders.")
    overall = AgreementFiguresSerializer()
    codes = CodeAgreementSerializer(many=True, help_text="Per code of the current codebook.")
    disagreements = DisagreementSerializer(many=True)
    attribution = serializers.ListField(child=serializers.CharField())
    citation = CitationSerializer()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(help_text="A stable machine-readable error code, e.g. not_found.")


class EditConflictSerializer(serializers.Serializer):
    """A change or delete refused because the record was saved after the client read it."""

    detail = serializers.CharField(help_text="Who changed the record and when; nothing was saved.")
    current_etag = serializers.CharField(help_text="The record's ETag now.")
    current_updated_at = serializers.DateTimeField(help_text="The record's `updated_at` now.")


class ValidationErrorSerializer(serializers.Serializer):
    """Messages by parameter or field name; errors of nested items (evidence) are objects
    keyed by the item's index, holding such messages. Errors about the whole input are under
    `non_field_errors`."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
