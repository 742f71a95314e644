"""Admin plumbing both apps share: import and export with a preview (CSV or Excel), and URL fields
that assume https."""

from zipfile import BadZipFile

from django.contrib import messages
from django.contrib.auth import get_permission_codename
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV
from import_export.formats.base_formats import XLSX
from tablib import InvalidDimensions

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
