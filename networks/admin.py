"""Admin for sources, networks, memberships, sub-networks, participation, the codebook and codings.

ModelForms check `Meta.constraints` and `clean()`, with two gaps in inlines: rows
are compared with each other only on unconditional unique constraints, and on a
new parent's page the rows have no parent yet for `clean()` to check against.
MembershipInlineFormSet and SubNetworkInlineFormSet close the gaps the admin can hit.

Cities, networks, memberships and codings (with their evidence) can be imported and
exported as CSV or Excel (CitynetImportExportMixin; the rules are in cities/resources.py).
Memberships, codings and evidence keep their history (django-simple-history): who
changed what and when, with a page to view or revert each version.

A membership's or coding's page (with the coding's evidence, and the memberships on a
city's page) is saved only if nobody has saved the record since the page was opened
(VersionCheckedForm, networks.concurrency); otherwise the form says who did and when.
"""

from zipfile import BadZipFile

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ConfirmImportForm, ImportForm
from simple_history.admin import SimpleHistoryAdmin
from simple_history.manager import SIMPLE_HISTORY_REVERSE_ATTR_NAME
from tablib import InvalidDimensions

from cities.models import City
from networks import concurrency
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
    format_partial_date,
)
from networks.resources import CodingResource, MembershipResource, NetworkResource
from networks.visibility import RESTRICTED_LABEL, can_see_restricted

# Django 6 will assume https for a URL typed without a scheme; say so now.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class CitynetImportExportMixin(ImportExportMixin):
    """Import with a preview, and export, as CSV or Excel.

    Importing needs the add and change permissions on the model and the add permission
    on every model in `import_adds_to` (what an import may create besides its rows);
    exporting needs the view permission.
    """

    formats = [CSV, XLSX]
    # With a byte-order mark, Excel reads the exported CSV as UTF-8 (København, not KÃ¸benhavn).
    to_encoding = "utf-8-sig"
    import_template_name = "admin/import_export/citynet_import.html"
    import_adds_to: list[type[models.Model]] = []

    def has_import_permission(self, request) -> bool:
        needed = [(self.model, "add"), (self.model, "change")] + [(model, "add") for model in self.import_adds_to]
        return all(
            request.user.has_perm(f"{model._meta.app_label}.{get_permission_codename(action, model._meta)}")
            for model, action in needed
        )

    def get_context_data(self, **kwargs):
        return {"import_help": [resource.import_help() for resource in self.resource_classes]}

    def add_data_read_fail_error_to_form(self, form, error) -> None:
        if isinstance(error, UnicodeDecodeError):
            message = (
                f"The file is not UTF-8 text (byte 0x{error.object[error.start]:02x} at position {error.start} "
                "cannot be read). Save it as 'CSV UTF-8' and upload it again, or upload the Excel file as XLSX."
            )
        elif isinstance(error, BadZipFile | KeyError | OSError):
            message = "The file is not an Excel workbook (.xlsx). Choose the format that matches the file."
        elif isinstance(error, InvalidDimensions):
            message = "A row has more cells than the header has columns (or fewer): check the file's commas and quotes."
        else:
            message = f"The file cannot be read in the chosen format ({type(error).__name__}: {error})."
        form.add_error("import_file", message)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The data changed between the preview and the confirmation; the import was rolled back.
            messages.error(request, "Nothing was imported: the file no longer passes the checks. Upload it again.")
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
        return super().process_result(result, request)


class NetworkImportForm(ImportForm):
    network = forms.ModelChoiceField(
        queryset=Network.objects.order_by("name"),
        required=False,
        help_text="The network the file's members belong to. Leave empty if the file has a network column.",
    )
    field_order = ["network", "resource", "import_file", "format"]


class NetworkConfirmImportForm(ConfirmImportForm):
    network = forms.ModelChoiceField(queryset=Network.objects.all(), required=False, widget=forms.HiddenInput)


OPENED_VERSION = "opened_version"


class OpenedVersionField(forms.CharField):
    """The version (`updated_at`) of the record as the page was opened, in a hidden input.
    It is not a change of its own: an inline row is saved only if the editor changed it."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def has_changed(self, initial, data) -> bool:
        return False


class VersionCheckedForm(forms.ModelForm):
    """A change form that will not save over a save made after it was opened.

    clean() compares the version the page was opened with to the record's and, if they
    differ, says who saved it and when. `claim_opened_version()`, called in the save's
    transaction just before saving, makes that check hold until the commit (two editors
    saving at the same moment cannot both pass it). A post without the version is not checked.
    """

    opened_version = OpenedVersionField()
    # A formset saves only the rows that changed, so only those need to be current.
    check_unchanged = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        version = self.record_version()
        if version is not None:
            self.fields[OPENED_VERSION].initial = concurrency.version_token(version)

    def record_version(self):
        """The record's `updated_at` as loaded for this request; None for a new record."""
        if self.instance.pk is None:
            return None
        if hasattr(self.instance, SIMPLE_HISTORY_REVERSE_ATTR_NAME):
            # The revert page edits a version from the history: the record's own is newer.
            return concurrency.current_version(type(self.instance), self.instance.pk)
        return self.instance.updated_at

    def opened_at(self):
        return concurrency.parse_version_token(self.cleaned_data.get(OPENED_VERSION))

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get(OPENED_VERSION) or not (self.check_unchanged or self.has_changed()):
            return cleaned_data
        opened = self.opened_at()
        if opened is None:
            raise ValidationError("This page is out of date: reload it and make your change again.")
        if self.record_version() != opened:
            model = type(self.instance)
            change = concurrency.latest_change(model, self.instance.pk)
            raise ValidationError(
                f"{concurrency.conflict_message(model, change, since='opened it')} Nothing was saved: "
                "reload the page to see their changes, then make yours again."
            )
        return cleaned_data

    def claim_opened_version(self) -> None:
        """Take the record for this form's save, or raise concurrency.EditConflict."""
        opened = self.opened_at()
        if self.instance.pk is not None and opened is not None:
            concurrency.claim(type(self.instance), self.instance.pk, opened)


class RetryOnEditConflict:
    """Admin pages that show a lost race as VersionCheckedForm's error. When another save
    commits between a form's check and its claim, the claim raises EditConflict, which rolls
    back the page's transaction; run once more, the form's check sees that save and says so."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except concurrency.EditConflict:
            return super().changeform_view(request, object_id, form_url, extra_context)


class VersionCheckedAdmin(RetryOnEditConflict):
    """Change and revert pages (SimpleHistoryAdmin) that carry the version they were opened
    with and save only if the record still has it (VersionCheckedForm)."""

    form = VersionCheckedForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.has_change_permission(request, obj):
            return fieldsets
        *others, (name, options) = fieldsets
        return [*others, (name, {**options, "fields": [*options["fields"], OPENED_VERSION]})]

    def save_model(self, request, obj, form, change):
        with transaction.atomic(using=router.db_for_write(self.model)):
            form.claim_opened_version()
            super().save_model(request, obj, form, change)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        try:
            return super().history_form_view(request, object_id, version_id, extra_context)
        except concurrency.EditConflict:
            return super().history_form_view(request, object_id, version_id, extra_context)


def constraint_message(model: type[models.Model], name: str) -> str:
    """The violation message of the model's constraint called `name`."""
    constraint = next(c for c in model._meta.constraints if c.name == name)
    return constraint.get_violation_error_message()


class MembershipInlineFormSet(BaseInlineFormSet):
    """Rejects two spells of one place in one network that both lack a start date, and a
    new spell that repeats a saved one.

    The database allows only one undated spell (a conditional unique constraint),
    which the stock formset does not compare across rows; and an inline form leaves its
    parent's key out of constraint checks, so a row repeating a spell saved elsewhere
    (not in this formset) would reach the database. Without these checks the page fails
    with an IntegrityError.
    """

    def clean(self) -> None:
        super().clean()
        seen = set()
        for form in self.forms:
            if not form.is_valid() or not form.cleaned_data or self._should_delete_form(form):
                continue
            spell = form.instance
            if self.instance.pk is not None:
                try:
                    spell.validate_constraints()
                except ValidationError as error:
                    form.add_error(None, error)
                    continue
            if spell.joined is not None:
                continue
            key = (spell.city_id, spell.network_id)
            if key in seen:
                form.add_error(None, constraint_message(Membership, "networks_membership_one_undated_spell"))
            seen.add(key)

    def save_existing(self, form, obj, commit=True):
        if isinstance(form, VersionCheckedForm):
            form.claim_opened_version()
        return super().save_existing(form, obj, commit)

    def delete_existing(self, obj, commit=True):
        form = next(form for form in self.deleted_forms if form.instance is obj)
        if commit and isinstance(form, VersionCheckedForm):
            form.claim_opened_version()
        super().delete_existing(obj, commit)


class MembershipInlineForm(VersionCheckedForm):
    check_unchanged = False


class NetworkMembershipInline(admin.TabularInline):
    """A network's members, read-only: a network may have thousands, and an editable row
    costs two queries for its autocomplete widgets. Each row links to its spell's page;
    new spells are added in NetworkMembershipAddInline below."""

    model = Membership
    verbose_name_plural = "memberships (edit a spell on its own page)"
    fields = ["city", "type", "period", "application_round", "took_effect", "source"]
    readonly_fields = fields
    ordering = ["city__name", "joined"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("city", "network", "source")


class NetworkMembershipAddInline(admin.TabularInline):
    model = Membership
    formset = MembershipInlineFormSet
    verbose_name_plural = "add membership spells"
    fields = [
        "city",
        "type",
        "joined",
        "joined_precision",
        "left",
        "left_precision",
        "application_round",
        "took_effect",
        "source",
    ]
    autocomplete_fields = ["city", "source"]
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class SubNetworkInlineFormSet(BaseInlineFormSet):
    """Rejects a parent from another network.

    SubNetwork.clean() checks this, but on a new network's page the rows have no
    network yet, so clean() lets any parent through.
    """

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if not form.is_valid() or not form.cleaned_data or self._should_delete_form(form):
                continue
            parent = form.cleaned_data.get("parent")
            if parent is not None and parent.network_id != self.instance.pk:
                form.add_error("parent", "The parent must belong to the same network.")


class SubNetworkInline(admin.TabularInline):
    model = SubNetwork
    formset = SubNetworkInlineFormSet
    fk_name = "network"
    fields = ["name", "slug", "kind", "parent", "permanent", "source"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent", "source"]
    ordering = ["kind", "name"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("network", "parent__network", "source")


class EvidenceVisibilityMixin:
    """Evidence as the admin user may read it (networks.visibility, `Evidence.objects.for_reader()`).
    A user without the permission to read restricted evidence sees every item as the public does,
    read-only (`masked_fieldsets`): paraphrase-only evidence by its public paraphrase, restricted
    evidence with no text, original text or locator; and no old versions, which hold the text."""

    masked_fieldsets: list = []

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


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "year", "part_of", "interview_number", "organisation"]
    list_filter = ["kind", "year"]
    list_select_related = ["part_of"]
    search_fields = ["label", "citation", "organisation", "informant_role"]
    ordering = ["kind", "interview_number", "label"]
    autocomplete_fields = ["part_of"]
    formfield_overrides = URL_FIELDS
    fieldsets = [
        (None, {"fields": ["kind", "label", "citation", ("url", "year")]}),
        ("Interview", {"fields": ["part_of", "interview_number", ("organisation", "informant_role")]}),
    ]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name"]


@admin.register(Network)
class NetworkAdmin(CitynetImportExportMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "acronym",
        "scope",
        "region",
        "focus",
        "headquarters",
        "founded",
        "ended",
        "member_count",
    ]
    list_filter = ["scope", "focus", "themes", "politically_led"]
    list_select_related = ["headquarters"]
    search_fields = ["name", "acronym", "region", "funder"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["headquarters", "regional_offices", "member_count_source"]
    filter_horizontal = ["themes"]
    formfield_overrides = URL_FIELDS
    inlines = [SubNetworkInline, NetworkMembershipAddInline, NetworkMembershipInline]

    def get_inline_instances(self, request, obj=None):
        # A new network has no members to list yet.
        inlines = super().get_inline_instances(request, obj)
        return [inline for inline in inlines if obj is not None or not isinstance(inline, NetworkMembershipInline)]

    resource_classes = [NetworkResource]
    fieldsets = [
        (None, {"fields": [("name", "acronym"), "slug", "website", "description"]}),
        ("Kind", {"fields": [("scope", "region"), "focus", "themes", "politically_led"]}),
        ("History", {"fields": [("founded", "ended"), "successor"]}),
        (
            "Organisation",
            {"fields": ["headquarters", "regional_offices", "funder", "governance", "membership_criteria"]},
        ),
        (
            "Reported size",
            {
                "fields": [
                    ("reported_member_count", "reported_member_count_as_of"),
                    "reported_member_count_note",
                    "member_count_source",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_member_count()

    @admin.display(description="members", ordering="n_members")
    def member_count(self, network: Network) -> int:
        return network.n_members


@admin.register(Membership)
class MembershipAdmin(VersionCheckedAdmin, CitynetImportExportMixin, SimpleHistoryAdmin):
    list_display = [
        "city",
        "network",
        "type",
        "period",
        "application_round",
        "took_effect",
        "source",
    ]
    list_filter = [
        "network",
        "type",
        "application_round",
        "took_effect",
        ("left", admin.EmptyFieldListFilter),
        "city__country",
        "city__kind",
    ]
    list_select_related = ["city", "network", "source"]
    search_fields = ["city__name", "network__name", "network__acronym", "note"]
    ordering = ["network__name", "city__name", "joined"]
    autocomplete_fields = ["city", "network", "source"]
    readonly_fields = ["created_at", "updated_at"]
    resource_classes = [MembershipResource]
    import_form_class = NetworkImportForm
    confirm_form_class = NetworkConfirmImportForm
    import_adds_to = [City, Source]
    fieldsets = [
        (None, {"fields": ["city", "network", "type", "took_effect"]}),
        (
            "Period",
            {
                "fields": [
                    ("joined", "joined_precision"),
                    ("left", "left_precision"),
                    "application_round",
                    "listed_on",
                ]
            },
        ),
        ("Source", {"fields": ["source", "note"]}),
        ("Record", {"fields": [("created_at", "updated_at")], "classes": ["collapse"]}),
    ]

    @admin.display(description="period", ordering="joined")
    def period(self, membership: Membership) -> str:
        return membership.period

    def get_import_form_initial(self, request):
        return {"network": request.GET.get("network")}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None and import_form.cleaned_data.get("network"):
            initial["network"] = import_form.cleaned_data["network"].pk
        return initial

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        return {"network": getattr(form, "cleaned_data", {}).get("network")}


@admin.register(SubNetwork)
class SubNetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "network", "kind", "parent", "permanent", "source"]
    list_filter = ["network", "kind", "permanent"]
    list_select_related = ["network", "parent__network", "source"]
    search_fields = ["name", "slug", "network__name", "network__acronym"]
    ordering = ["network__name", "kind", "name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["network", "parent", "source"]
    fieldsets = [
        (None, {"fields": ["network", "parent", ("name", "slug"), ("kind", "permanent"), "description"]}),
        ("Source", {"fields": ["source"]}),
    ]


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = [
        "city",
        "network",
        "subnetwork_name",
        "unit",
        "unit_kind",
        "involvement",
        "period",
        "source",
    ]
    list_filter = ["network", "unit_kind", "involvement", "city__country"]
    list_select_related = ["city", "network", "subnetwork", "source"]
    search_fields = ["city__name", "unit", "network__name", "network__acronym", "subnetwork__name", "note"]
    ordering = ["city__name", "network__name", "unit"]
    autocomplete_fields = ["city", "network", "subnetwork", "source"]
    fieldsets = [
        (None, {"fields": ["city", "network", "subnetwork"]}),
        ("Unit", {"fields": ["unit", ("unit_kind", "involvement")]}),
        ("Period", {"fields": [("since", "since_precision"), ("until", "until_precision")]}),
        ("Source", {"fields": [("source", "locator"), "note"]}),
    ]

    @admin.display(description="sub-network", ordering="subnetwork__name")
    def subnetwork_name(self, participation: Participation) -> str:
        return participation.subnetwork.name if participation.subnetwork_id else ""

    @admin.display(description="period", ordering="since")
    def period(self, participation: Participation) -> str:
        since = format_partial_date(participation.since, participation.since_precision)
        until = format_partial_date(participation.until, participation.until_precision)
        return f"{since or '?'}–{until}" if since or until else ""


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
        "salience_with_label",
        "outcome",
        "perspective",
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
            choices = [(value, f"{value} – {label}") for value, label in Coding.SALIENCE_LABELS.items()]
            kwargs["widget"] = forms.Select(choices=[("", "---------"), *reversed(choices)])
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="city", ordering="city__name")
    def place(self, coding: Coding) -> str:
        return str(coding.city) if coding.city_id else "(network as a whole)"

    @admin.display(description="salience", ordering="salience")
    def salience_with_label(self, coding: Coding) -> str:
        return f"{coding.salience} ({coding.salience_label})"

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
    list_display = ["short_text", "masked_kind", "visibility", "coding", "source", "masked_locator", "language"]
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


@admin.register(EngagementObservation)
class EngagementObservationAdmin(admin.ModelAdmin):
    list_display = ["city", "network", "observed", "level", "is_peak", "source"]
    list_filter = ["network", "level", "is_peak", "approximate", "city__country"]
    list_select_related = ["city", "network", "source"]
    search_fields = ["city__name", "network__name", "network__acronym", "note"]
    ordering = ["city__name", "network__name", "observed_on"]
    autocomplete_fields = ["city", "network", "source"]
    fieldsets = [
        (None, {"fields": ["city", "network"]}),
        (
            "Observation",
            {"fields": [("observed_on", "observed_precision", "approximate"), ("level", "is_peak"), "note"]},
        ),
        ("Source", {"fields": [("source", "locator")]}),
    ]

    @admin.display(description="observed", ordering="observed_on")
    def observed(self, observation: EngagementObservation) -> str:
        return observation.observed_display


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
