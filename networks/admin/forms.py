"""Admin forms: the network import form, version-checked change forms (no lost update between two
editors) and the membership rows shown on a place's page."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db import router
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from import_export.forms import ConfirmImportForm
from import_export.forms import ImportForm
from simple_history.manager import SIMPLE_HISTORY_REVERSE_ATTR_NAME

from networks import concurrency
from networks.models import Membership
from networks.models import Network


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
# A membership spell's own fields, in the order its rows show them on a place's or a network's page.
SPELL_FIELDS = [
    "type",
    "joined",
    "joined_precision",
    "left",
    "left_precision",
    "application_round",
    "took_effect",
    "source",
]


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
