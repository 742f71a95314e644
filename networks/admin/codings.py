"""The admin of the codebook, coders, codings and their evidence (restricted text masked for
readers without the permission), and data releases."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.db import models
from django.db.models import Count
from simple_history.admin import SimpleHistoryAdmin

from citynet.admin import CitynetImportExportMixin
from networks.admin.forms import VersionCheckedAdmin
from networks.importing.resources import CodingResource
from networks.models import Code
from networks.models import CodebookVersion
from networks.models import Coder
from networks.models import Coding
from networks.models import Evidence
from networks.models import Release
from networks.salience import SALIENCE_LABELS
from networks.salience import UNRATED_LABEL
from networks.visibility import RESTRICTED_LABEL
from networks.visibility import can_see_restricted

PERSPECTIVE_SHORT = {
    Coding.Perspective.CITY: "city's informants",
    Coding.Perspective.NETWORK: "network's staff",
    Coding.Perspective.RESEARCHER: "researchers",
}


EVIDENCE_KIND_HELP = "What the text is: the source's own words (quote) or the coder's summary of them (paraphrase)."
EVIDENCE_VISIBILITY_HELP = (
    "Who may read it, whatever its kind: public (everyone reads the text as recorded, so a "
    "paraphrase is shown as a paraphrase), paraphrase only (the source may not be quoted: the "
    "public reads the public paraphrase) or restricted (only readers allowed restricted evidence)."
)
EVIDENCE_VISIBILITY_CHOICES = [
    (Evidence.Visibility.PUBLIC, "Public: shown as recorded (a quote as a quote, a paraphrase as a paraphrase)"),
    (Evidence.Visibility.PARAPHRASE_ONLY, "Paraphrase only: the public sees the public paraphrase"),
    (Evidence.Visibility.RESTRICTED, "Restricted: only readers allowed restricted evidence"),
]


class EvidenceVisibilityMixin:
    """Evidence as the admin user may read it (networks.visibility, `Evidence.objects.for_reader()`).
    A user without the permission to read restricted evidence sees every item as the public does,
    read-only (`masked_fieldsets`): paraphrase-only evidence by its public paraphrase, restricted
    evidence with no text, original text or locator; and no old versions, which hold the text."""

    masked_fieldsets: list = []

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Kind and visibility answer different questions; "Paraphrase" beside "Public quote"
        # read as a contradiction, so each says what it is about.
        if db_field.name == "kind":
            kwargs["help_text"] = EVIDENCE_KIND_HELP
        if db_field.name == "visibility":
            kwargs["help_text"] = EVIDENCE_VISIBILITY_HELP
            kwargs["choices"] = [("", "---------"), *EVIDENCE_VISIBILITY_CHOICES]
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).for_reader(request.user)

    def get_fieldsets(self, request, obj=None):
        if can_see_restricted(request.user):
            return super().get_fieldsets(request, obj)
        return self.masked_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if can_see_restricted(request.user):
            return super().get_readonly_fields(request, obj)
        return flatten_fieldsets(self.masked_fieldsets)

    def has_add_permission(self, request, *args) -> bool:
        return can_see_restricted(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return can_see_restricted(request.user) and super().has_change_permission(request, obj)

    def has_view_history_or_change_history_permission(self, request, obj=None) -> bool:
        return can_see_restricted(request.user) and super().has_view_history_or_change_history_permission(request, obj)

    @admin.display(description="kind")
    def masked_kind(self, evidence: Evidence) -> str:
        return Evidence.Kind(evidence.shown_kind).label

    @admin.display(description="visibility", ordering="visibility")
    def audience(self, evidence: Evidence) -> str:
        # Not the model's "Public quote": a public paraphrase is no quote (EVIDENCE_VISIBILITY_HELP).
        return {"public": "public", "paraphrase": "paraphrase only", "restricted": "restricted"}.get(
            evidence.visibility, evidence.visibility
        )

    @admin.display(description="locator", ordering="shown_locator")
    def masked_locator(self, evidence: Evidence) -> str:
        return evidence.shown_locator

    @admin.display(description="text")
    def masked_text(self, evidence: Evidence) -> str:
        return evidence.shown_text or RESTRICTED_LABEL

    @admin.display(description="original text")
    def masked_original_text(self, evidence: Evidence) -> str:
        return evidence.shown_original_text


MASKED_EVIDENCE_FIELDS = [
    ("source", "masked_locator"),
    ("masked_kind", "visibility", "language", "position"),
    "masked_text",
    "masked_original_text",
]


class EvidenceInline(EvidenceVisibilityMixin, admin.StackedInline):
    model = Evidence
    fields = [
        ("source", "locator"),
        ("kind", "visibility", "language", "position"),
        "text",
        "original_text",
        "public_paraphrase",
    ]
    masked_fieldsets = [(None, {"fields": MASKED_EVIDENCE_FIELDS})]
    autocomplete_fields = ["source"]
    ordering = ["position", "pk"]
    # Every coding is expected to rest on at least one piece of evidence.
    min_num = 1
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, validate_min=True, **kwargs)


class CodeInline(admin.TabularInline):
    model = Code
    fields = ["code", "name", "kind", "position", "definition"]
    ordering = ["kind", "position"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}}
    extra = 0
    show_change_link = True


@admin.register(CodebookVersion)
class CodebookVersionAdmin(admin.ModelAdmin):
    list_display = ["label", "released", "is_current", "based_on", "code_count"]
    list_filter = ["is_current"]
    list_select_related = ["based_on"]
    search_fields = ["label", "description"]
    ordering = ["-released"]
    autocomplete_fields = ["based_on"]
    fields = [("label", "released"), "is_current", "based_on", "description"]
    inlines = [CodeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_codes=Count("codes"))

    @admin.display(description="codes", ordering="n_codes")
    def code_count(self, version: CodebookVersion) -> int:
        return version.n_codes


@admin.register(Code)
class CodeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "position", "version"]
    list_filter = ["version", "kind"]
    list_select_related = ["version"]
    search_fields = ["code", "name", "definition"]
    ordering = ["-version__released", "kind", "position"]
    fieldsets = [
        (None, {"fields": ["version", ("code", "name"), ("kind", "position")]}),
        ("Meaning", {"fields": ["definition", "when_to_use", "when_not_to_use", "example"]}),
    ]


@admin.register(Coder)
class CoderAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "coding_count"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username"]
    ordering = ["name"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_codings=Count("codings"))

    @admin.display(description="codings", ordering="n_codings")
    def coding_count(self, coder: Coder) -> int:
        return coder.n_codings


@admin.register(Coding)
class CodingAdmin(VersionCheckedAdmin, CitynetImportExportMixin, SimpleHistoryAdmin):
    list_display = [
        "place",
        "network",
        "code",
        "judgement",
        "perspective_short",
        "coder",
        "evidence_count",
    ]
    list_filter = [
        "network",
        "code__kind",
        "code",
        "perspective",
        "outcome",
        "salience",
        ("city", admin.EmptyFieldListFilter),
        "coder",
    ]
    list_select_related = ["city", "network", "code", "coder"]
    search_fields = [
        "city__name",
        "network__name",
        "network__acronym",
        "code__code",
        "code__name",
        "note",
        "evidence__text",
    ]
    ordering = ["network__name", "city__name", "code__kind", "code__position"]
    autocomplete_fields = ["city", "network", "code", "coder"]
    readonly_fields = ["updated_at"]
    inlines = [EvidenceInline]
    resource_classes = [CodingResource]
    import_adds_to = [Evidence]
    fieldsets = [
        (None, {"fields": [("city", "network"), "code", "perspective"]}),
        ("Judgement", {"fields": [("salience", "outcome"), "note"]}),
        ("Record", {"fields": ["coder", ("coded_at", "updated_at")]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_evidence=Count("evidence"))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "salience":
            choices = [(value, f"{value} – {label}") for value, label in SALIENCE_LABELS.items()]
            kwargs["widget"] = forms.Select(choices=[("", f"— not rated ({UNRATED_LABEL})"), *reversed(choices)])
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="city", ordering="city__name")
    def place(self, coding: Coding) -> str:
        return str(coding.city) if coding.city_id else "(network as a whole)"

    @admin.display(description="salience", ordering="salience")
    def salience_with_label(self, coding: Coding) -> str:
        if coding.salience is None:
            return "not rated"
        return f"{coding.salience} ({coding.salience_label})"

    @admin.display(description="salience · outcome", ordering="salience")
    def judgement(self, coding: Coding) -> str:
        outcome = coding.get_outcome_display() if coding.outcome else "—"
        if coding.salience is None:
            return f"not rated · {outcome}"
        return f"{coding.salience} {coding.salience_label} · {outcome}"

    @admin.display(description="perspective", ordering="perspective")
    def perspective_short(self, coding: Coding) -> str:
        # "The researchers' analysis" -> "researchers": the list keeps room for its other columns.
        return PERSPECTIVE_SHORT.get(coding.perspective, coding.perspective)

    @admin.display(description="evidence", ordering="n_evidence")
    def evidence_count(self, coding: Coding) -> int:
        return coding.n_evidence

    def get_search_fields(self, request):
        # Words of evidence the user may not read must not find its coding.
        fields = super().get_search_fields(request)
        return fields if can_see_restricted(request.user) else [f for f in fields if not f.startswith("evidence__")]

    def get_export_resource_kwargs(self, request, **kwargs):
        # The export holds the evidence as this user may read it (CodingResource).
        return {**super().get_export_resource_kwargs(request, **kwargs), "reader": request.user}


@admin.register(Evidence)
class EvidenceAdmin(EvidenceVisibilityMixin, SimpleHistoryAdmin):
    list_display = ["short_text", "masked_kind", "audience", "coding", "source", "masked_locator", "language"]
    list_filter = ["visibility", "kind", "coding__network", "source__kind", "language"]
    list_select_related = ["coding__city", "coding__network", "coding__code", "source"]
    # The text as the user may read it (annotations of Evidence.objects.for_reader()).
    search_fields = [
        "shown_text",
        "shown_original_text",
        "source__label",
        "coding__city__name",
        "coding__network__name",
    ]
    ordering = ["coding__network__name", "coding__city__name", "position"]
    autocomplete_fields = ["coding", "source"]
    fieldsets = [
        (None, {"fields": ["coding", ("source", "locator")]}),
        (
            "Text",
            {"fields": [("kind", "visibility", "language", "position"), "text", "original_text", "public_paraphrase"]},
        ),
    ]
    masked_fieldsets = [(None, {"fields": ["coding", *MASKED_EVIDENCE_FIELDS]})]

    @admin.display(description="text", ordering="shown_text")
    def short_text(self, evidence: Evidence) -> str:
        text = evidence.shown_text or RESTRICTED_LABEL
        return text if len(text) <= 80 else f"{text[:79]}…"


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Read-only: a release is made with `manage.py make_release` and never changed after."""

    list_display = ["label", "released", "zip_sha256", "created_at"]
    search_fields = ["label", "description"]
    fields = ["label", "released", "description", "counts", "files", "zip_path", "zip_sha256", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
