"""The admin's membership import forms: the network of a one-network list, or the label
mapping of a file of many networks (uploaded beside the file, or one stored in
fixtures/mappings/), its list column and its citation. The confirm step carries the
mapping itself, so the import confirmed is the import previewed."""

import base64
import binascii

from django import forms
from django.conf import settings
from import_export.forms import ConfirmImportForm
from import_export.forms import ImportForm

from networks.importing.labels import MappingError
from networks.importing.labels import read_mapping
from networks.models import Network

MAPPINGS_DIR = settings.BASE_DIR / "fixtures" / "mappings"


def stored_mappings() -> list[tuple[str, str]]:
    """The label mappings shipped with Citynet, as (file name, file name) choices."""
    return [(path.name, path.name) for path in sorted(MAPPINGS_DIR.glob("*.csv"))]


class MembershipImportForm(ImportForm):
    network = forms.ModelChoiceField(
        queryset=Network.objects.order_by("name"),
        required=False,
        help_text="The network the file's members belong to. Leave empty if the file has a network column "
        "or is a file of many networks (with a label mapping).",
    )
    mapping_file = forms.FileField(
        label="Label mapping",
        required=False,
        help_text="For a file of many networks: a CSV label,network,listed_on,network_name "
        "(an empty network: the label is not a network to import).",
    )
    stored_mapping = forms.ChoiceField(
        label="or a stored label mapping",
        required=False,
        help_text="A mapping shipped with Citynet (fixtures/mappings/), e.g. ClimActor's.",
    )
    list_column = forms.CharField(
        label="Column listing the networks",
        required=False,
        max_length=100,
        help_text="With a label mapping: the column listing each row's labels (ClimActor: "
        "initiatives_committed). Empty: every column that is not a place column is a 0/1 label column.",
    )
    source = forms.CharField(
        label="Citation of the data set",
        required=False,
        max_length=1000,
        help_text="With a label mapping: the source of every membership the file gives.",
    )
    field_order = ["network", "resource", "import_file", "format", "mapping_file", "stored_mapping", "list_column"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stored_mapping"].choices = [("", "—"), *stored_mappings()]

    def clean(self):
        cleaned_data = super().clean()
        upload, stored = cleaned_data.get("mapping_file"), cleaned_data.get("stored_mapping")
        if upload and stored:
            self.add_error("stored_mapping", "Upload a mapping or pick a stored one, not both.")
            return cleaned_data
        if not upload and not stored:
            cleaned_data["mapping_text"] = ""
            return cleaned_data
        data = b"".join(upload.chunks()) if upload else (MAPPINGS_DIR / stored).read_bytes()
        field = "mapping_file" if upload else "stored_mapping"
        try:
            text = data.decode("utf-8-sig")
            read_mapping(text.encode())
        except UnicodeDecodeError:
            self.add_error(field, "The mapping is not UTF-8 text: save it as CSV UTF-8.")
            return cleaned_data
        except MappingError as error:
            self.add_error(field, error.problems)
            return cleaned_data
        cleaned_data["mapping_text"] = text
        if not cleaned_data.get("source"):
            self.add_error("source", "A file of many networks needs its citation: every membership cites it.")
        if cleaned_data.get("network"):
            self.add_error(
                "network", "A file of many networks names its networks through the mapping: leave this empty."
            )
        return cleaned_data


class MembershipConfirmImportForm(ConfirmImportForm):
    network = forms.ModelChoiceField(queryset=Network.objects.all(), required=False, widget=forms.HiddenInput)
    # The mapping's text, base64 (a hidden input keeps no line breaks safely).
    mapping = forms.CharField(required=False, widget=forms.HiddenInput)
    list_column = forms.CharField(required=False, widget=forms.HiddenInput)
    source = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned_data = super().clean()
        try:
            cleaned_data["mapping_text"] = base64.b64decode(cleaned_data.get("mapping") or "").decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            self.add_error(None, "The label mapping was damaged on the way: upload the file and mapping again.")
        return cleaned_data


def confirm_initial(import_form: MembershipImportForm) -> dict:
    """What the confirm form carries over from the import form."""
    data = import_form.cleaned_data
    return {
        "network": data["network"].pk if data.get("network") else "",
        "mapping": base64.b64encode(data.get("mapping_text", "").encode("utf-8")).decode("ascii"),
        "list_column": data.get("list_column", ""),
        "source": data.get("source", ""),
    }


def resource_kwargs(cleaned_data: dict) -> dict:
    """MembershipResource's arguments from either form's cleaned data."""
    text = cleaned_data.get("mapping_text")
    return {
        "network": cleaned_data.get("network"),
        "mapping": read_mapping(text.encode("utf-8")) if text else None,
        "list_column": cleaned_data.get("list_column") or None,
        "source": cleaned_data.get("source", ""),
    }
