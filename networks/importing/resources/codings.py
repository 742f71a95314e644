"""Codings with their evidence, imported and exported in the admin."""

import datetime

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from import_export.fields import Field

from cities.models import City
from cities.resources import CityIndex
from citynet.importing import CitynetResource
from citynet.importing import ParsedRow
from citynet.importing import RowReader
from citynet.importing import cell_text
from citynet.importing import file_row
from networks.importing.resources.common import SourceIndex
from networks.models import Code
from networks.models import CodebookVersion
from networks.models import Coder
from networks.models import Coding
from networks.models import Evidence
from networks.models import Network
from networks.visibility import can_see_restricted

# --- codings with their evidence ------------------------------------------------------

EVIDENCE_COLUMNS = {
    "source": "evidence_source",
    "locator": "evidence_locator",
    "kind": "evidence_kind",
    "text": "evidence_text",
    "original_text": "evidence_original_text",
    "language": "evidence_language",
    "position": "evidence_position",
    "visibility": "evidence_visibility",
    "public_paraphrase": "evidence_public_paraphrase",
    "networks_evidence_kind_valid": "evidence_kind",
    "networks_evidence_text_not_empty": "evidence_text",
    "networks_evidence_no_duplicate": "evidence_text",
    "networks_evidence_visibility_valid": "evidence_visibility",
    "networks_evidence_paraphrase_given": "evidence_public_paraphrase",
}
CODING_FIELDS = ["salience", "outcome", "coded_at", "note"]


class CodingResource(CitynetResource):
    """Codings with their evidence: one row a piece of evidence, with its coding.

    A coding is found by network, city (empty for the network as a whole), code (in the
    current codebook unless a codebook column names another), perspective and coder;
    a coding with several pieces of evidence takes one row each, with the same coding
    values. A row with no evidence text is a coding alone. Evidence is found by its
    coding, source and text. Cities, codes, coders and sources must exist already.

    An export holds evidence as the exporting user may read it (networks.visibility): for a
    user without the permission, restricted and paraphrase-only rows have no evidence_text or
    evidence_original_text (and restricted ones no locator or paraphrase), so such a file
    cannot be imported again over the verbatim texts.
    """

    network = Field(column_name="network")
    city = Field(column_name="city")
    country_iso2 = Field(column_name="country_iso2")
    geonameid = Field(column_name="geonameid")
    codebook = Field(column_name="codebook")
    code = Field(column_name="code")
    perspective = Field(column_name="perspective")
    coder = Field(column_name="coder")
    salience = Field(column_name="salience")
    outcome = Field(column_name="outcome")
    coded_at = Field(column_name="coded_at")
    note = Field(column_name="note")
    evidence_source = Field(column_name="evidence_source")
    evidence_locator = Field(column_name="evidence_locator")
    evidence_kind = Field(column_name="evidence_kind")
    evidence_text = Field(column_name="evidence_text")
    evidence_original_text = Field(column_name="evidence_original_text")
    evidence_language = Field(column_name="evidence_language")
    evidence_position = Field(column_name="evidence_position")
    evidence_visibility = Field(column_name="evidence_visibility")
    evidence_public_paraphrase = Field(column_name="evidence_public_paraphrase")

    required_columns = frozenset({"network", "city", "code", "perspective", "coder"})
    error_columns = {
        "networks_coding_salience_range": "salience",
        "networks_coding_outcome_valid": "outcome",
        "networks_coding_perspective_valid": "perspective",
        "networks_coding_one_per_cell": "code",
        "networks_coding_one_per_network_cell": "code",
    }

    class Meta(CitynetResource.Meta):
        model = Coding
        name = "Codings with their evidence (one row a piece of evidence)"
        fields = (
            "network",
            "city",
            "country_iso2",
            "geonameid",
            "codebook",
            "code",
            "perspective",
            "coder",
            "salience",
            "outcome",
            "coded_at",
            "note",
            "evidence_source",
            "evidence_locator",
            "evidence_kind",
            "evidence_text",
            "evidence_original_text",
            "evidence_language",
            "evidence_position",
            "evidence_visibility",
            "evidence_public_paraphrase",
        )
        import_order = export_order = fields

    def __init__(self, reader=None, **kwargs):
        super().__init__(**kwargs)
        # Who exports (networks.visibility): None, the default, exports what the public may read.
        self.reader = reader
        self.evidence: Evidence | None = None
        self.made_here: set[int] = set()
        self.saved_state: dict[int, tuple] = {}
        self.coding_values: dict[tuple, tuple[int, dict]] = {}

    def prepare(self, dataset, **kwargs) -> None:
        self.cities = CityIndex(whole=False)
        self.networks = {network.slug: network for network in Network.objects.all()}
        self.sources = SourceIndex()
        self.coders = {coder.name: coder for coder in Coder.objects.all()}
        current = CodebookVersion.objects.filter(is_current=True).first()
        self.current_codebook = current.label if current else ""
        self.codes = {(code.version.label, code.code): code for code in Code.objects.select_related("version")}
        slugs = {cell_text(value) for value in dataset["network"] if value}
        codings = Coding.objects.filter(network__slug__in=slugs).select_related("city", "network", "code", "coder")
        self.codings = {self.coding_key(coding): coding for coding in codings}
        self.stored_evidence = {
            (item.coding_id, item.source_id, item.text): item
            for item in Evidence.objects.filter(coding__in=list(self.codings.values())).select_related("source")
        }

    @staticmethod
    def coding_key(coding: Coding) -> tuple:
        return (coding.network_id, coding.city_id, coding.code_id, coding.perspective, coding.coder_id)

    def parse_row(self, number: int, reader: RowReader) -> ParsedRow:
        values = {}
        slug = reader.text("network")
        values["network"] = self.networks.get(slug)
        if values["network"] is None:
            reader.problem("network", f"no network with slug '{slug}'" if slug else "every coding needs its network")
        values["city"] = self.read_city(reader)
        codebook = reader.text("codebook") or self.current_codebook
        values["code"] = self.codes.get((codebook, reader.text("code")))
        if values["code"] is None:
            reader.problem("code", f"no code '{reader.text('code')}' in codebook {codebook or '(none is current)'}")
        values["perspective"] = reader.choice("perspective", Coding.Perspective)
        if not values["perspective"]:
            reader.problem("perspective", "every coding needs its perspective (city, network or researcher)")
        values["coder"] = self.coders.get(reader.text("coder"))
        if values["coder"] is None:
            reader.problem("coder", f"no coder '{reader.text('coder')}' (add the coder under Coders first)")
        coding = {}
        if reader.has("salience"):
            coding["salience"] = reader.integer("salience")
        if reader.has("outcome"):
            coding["outcome"] = reader.choice("outcome", Coding.Outcome)
        if reader.has("coded_at"):
            coding["coded_at"] = self.read_time(reader)
        if reader.has("note"):
            coding["note"] = reader.text("note")
        values["coding"] = coding
        values["evidence"] = self.read_evidence(reader)
        parsed = ParsedRow(number=number, values=values)
        if reader.problems:
            return parsed
        coding_key = (
            values["network"].pk,
            values["city"].pk if values["city"] else None,
            values["code"].pk,
            values["perspective"],
            values["coder"].pk,
        )
        values["coding_key"] = coding_key
        earlier = self.coding_values.setdefault(coding_key, (number, coding))
        for name, value in coding.items():
            if name in earlier[1] and earlier[1][name] != value:
                reader.problem(name, f"row {file_row(earlier[0])} gives this coding {name} '{earlier[1][name]}'")
        evidence = values["evidence"]
        parsed.key = coding_key + ((evidence["source"].pk, evidence["text"]) if evidence else ("no evidence",))
        return parsed

    def read_city(self, reader: RowReader) -> City | None:
        name, country, geonames_id = (
            reader.text("city"),
            reader.text("country_iso2").upper(),
            reader.integer("geonameid"),
        )
        if not name and not geonames_id:
            return None
        try:
            city = self.cities.find(name=name, country=country, geonames_id=geonames_id)
        except ValueError as error:
            reader.problem("city", str(error))
            return None
        if city is None:
            reader.problem("city", f"no place '{name} ({country})' (import or add it under Cities first)")
        return city

    def read_time(self, reader: RowReader) -> datetime.datetime | None:
        text = reader.text("coded_at")
        if not text:
            return None
        try:
            value = datetime.datetime.fromisoformat(text)
        except ValueError:
            reader.problem("coded_at", f"'{text}' is not a date and time (use YYYY-MM-DD or YYYY-MM-DD HH:MM)")
            return None
        return timezone.make_aware(value, datetime.UTC) if timezone.is_naive(value) else value

    def read_evidence(self, reader: RowReader) -> dict | None:
        text = reader.text("evidence_text")
        others = ("evidence_source", "evidence_locator", "evidence_original_text")
        if not text:
            if any(reader.text(column) for column in others):
                reader.problem("evidence_text", "evidence needs its text")
            return None
        evidence = {"text": text, "source": self.sources.find(reader.text("evidence_source"))}
        if evidence["source"] is None:
            cited = reader.text("evidence_source")
            reader.problem(
                "evidence_source",
                f"no source with citation or label '{cited}' (add it under Sources first)"
                if cited
                else "evidence needs its source",
            )
        evidence["kind"] = reader.choice("evidence_kind", Evidence.Kind)
        if not evidence["kind"]:
            reader.problem("evidence_kind", "say whether the evidence is a quote or a paraphrase")
        for column in ("locator", "original_text", "language", "public_paraphrase"):
            if reader.has(f"evidence_{column}"):
                evidence[column] = reader.text(f"evidence_{column}")
        # An empty cell keeps what is stored (public for new evidence).
        visibility = reader.choice("evidence_visibility", Evidence.Visibility)
        if visibility:
            evidence["visibility"] = visibility
        if reader.has("evidence_position"):
            evidence["position"] = reader.integer("evidence_position") or 0
        return evidence

    def describe(self, parsed: ParsedRow) -> str:
        return "the same coding with the same evidence"

    def find_instance(self, parsed: ParsedRow) -> tuple[Coding, bool]:
        coding = self.codings.get(parsed.values["coding_key"])
        evidence = parsed.values["evidence"]
        self.evidence = None
        if coding is not None and evidence is not None:
            self.evidence = self.stored_evidence.get((coding.pk, evidence["source"].pk, evidence["text"]))
        if coding is None:
            return Coding(), True
        # More evidence for a coding an earlier row of this file made is part of something new.
        return coding, coding.pk in self.made_here

    def apply(self, instance: Coding, parsed: ParsedRow) -> None:
        values = parsed.values
        for name in ("network", "city", "code", "perspective", "coder"):
            setattr(instance, name, values[name])
        for name, value in values["coding"].items():
            setattr(instance, name, value)
        if instance.coded_at is None:
            instance.coded_at = timezone.now()
        if values["evidence"] is not None:
            self.evidence = self.evidence or Evidence()
            for name, value in values["evidence"].items():
                setattr(self.evidence, name, value)

    def state(self, coding: Coding) -> tuple:
        evidence = None
        if self.evidence is not None:
            evidence = tuple(getattr(self.evidence, f.attname) for f in Evidence._meta.concrete_fields)
        return super().state(coding) + (evidence,)

    def do_instance_save(self, instance: Coding, is_create: bool) -> None:
        created = instance.pk is None
        # A coding with several pieces of evidence is saved once, not once a row.
        if created or self.saved_state.get(instance.pk) != super().state(instance):
            self.save_checked(instance)
        if created:
            self.made_here.add(instance.pk)
        self.saved_state[instance.pk] = super().state(instance)

    def after_save(self, instance: Coding, parsed: ParsedRow) -> None:
        self.codings[parsed.values["coding_key"]] = instance
        evidence = self.evidence
        if evidence is None:
            return
        evidence.coding = instance
        try:
            evidence.full_clean(exclude=["coding", "source"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            raise ValidationError(
                {
                    EVIDENCE_COLUMNS.get(name, NON_FIELD_ERRORS): messages
                    for name, messages in error.message_dict.items()
                }
            ) from None
        self.save_checked(evidence, EVIDENCE_COLUMNS)
        self.stored_evidence[(instance.pk, evidence.source_id, evidence.text)] = evidence

    def cells(self, instance) -> dict:
        if isinstance(instance, tuple):  # exported: from iter_queryset
            coding, evidence = instance
            evidence_cells = self.exported_evidence_cells(evidence)
        else:  # a row being imported: the file's values
            coding, evidence = instance, self.evidence
            evidence_cells = {
                "evidence_source": evidence.source.citation if evidence else "",
                "evidence_locator": evidence.locator if evidence else "",
                "evidence_kind": evidence.kind if evidence else "",
                "evidence_text": evidence.text if evidence else "",
                "evidence_original_text": evidence.original_text if evidence else "",
                "evidence_language": evidence.language if evidence else "",
                "evidence_position": evidence.position if evidence else "",
                "evidence_visibility": evidence.visibility if evidence else "",
                "evidence_public_paraphrase": evidence.public_paraphrase if evidence else "",
            }
        city = coding.city
        return {
            "network": coding.network.slug,
            "city": city.name if city else "",
            "country_iso2": city.country if city else "",
            "geonameid": (city.geonames_id or "") if city else "",
            "codebook": coding.code.version.label,
            "code": coding.code.code,
            "perspective": coding.perspective,
            "coder": coding.coder.name,
            "salience": "" if coding.salience is None else coding.salience,
            "outcome": coding.outcome,
            "coded_at": coding.coded_at.isoformat(sep=" ") if coding.coded_at else "",
            "note": coding.note,
            **evidence_cells,
        }

    def exported_evidence_cells(self, evidence: Evidence | None) -> dict:
        """The evidence columns of an exported row, from `Evidence.objects.for_reader()`: the
        verbatim text only where the exporter may read it, else what the public reads."""
        if evidence is None:
            return {column: "" for column in self.columns() if column.startswith("evidence_")}
        verbatim = evidence.visibility == Evidence.Visibility.PUBLIC or can_see_restricted(self.reader)
        return {
            "evidence_source": evidence.source.citation,
            "evidence_locator": evidence.shown_locator,
            "evidence_kind": evidence.shown_kind,
            "evidence_text": evidence.shown_text if verbatim else "",
            "evidence_original_text": evidence.shown_original_text,
            "evidence_language": evidence.language,
            "evidence_position": evidence.position,
            "evidence_visibility": evidence.visibility,
            "evidence_public_paraphrase": evidence.shown_paraphrase,
        }

    def iter_queryset(self, queryset):
        evidence = Evidence.objects.for_reader(self.reader).select_related("source").order_by("position", "pk")
        queryset = queryset.select_related("city", "network", "code__version", "coder").prefetch_related(
            Prefetch("evidence", queryset=evidence)
        )
        for coding in super().iter_queryset(queryset):
            for evidence in list(coding.evidence.all()) or [None]:
                yield coding, evidence
