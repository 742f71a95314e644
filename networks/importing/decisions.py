"""The admin's answer to a doubtful place in a membership import: the editor picks a
place held or "new place" for each doubtful row; the decisions are stored (and so
remembered for the next file) and the same uploaded file is previewed again."""

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from cities.models import City
from cities.models import PlaceDecision

FIELD_PREFIX = "decision__"


def decisions_store(*, choices: dict[str, str], user: str) -> int:
    """Store decisions given as {'folded name|CC|kind': slug or 'new'}; returns how many."""
    stored = 0
    slugs = {value for value in choices.values() if value and value != "new"}
    cities = {city.slug: city for city in City.objects.filter(slug__in=slugs)}
    for key, value in choices.items():
        if not value or (value != "new" and value not in cities):
            continue
        folded, country, kind = (key.split("|") + ["", "", ""])[:3]
        PlaceDecision.objects.update_or_create(
            key=folded, country=country, kind=kind, defaults={"city": cities.get(value), "decided_by": user}
        )
        stored += 1
    return stored


def decide_view(model_admin, request):
    """POST from the preview's decision form: store, then preview the same file again."""
    if request.method != "POST" or not model_admin.has_import_permission(request):
        return redirect("admin:networks_membership_import")
    choices = {
        name.removeprefix(FIELD_PREFIX): value for name, value in request.POST.items() if name.startswith(FIELD_PREFIX)
    }
    stored = decisions_store(choices=choices, user=request.user.get_username())
    messages.info(request, f"{stored} place decision(s) stored; they will be remembered for later imports.")
    form = model_admin.create_confirm_form(request)
    if not form.is_valid():
        messages.error(request, "The uploaded file is gone: upload it again (your decisions are kept).")
        return redirect("admin:networks_membership_import")
    input_format = model_admin.get_import_formats()[int(form.cleaned_data["format"])]()
    storage = model_admin.get_tmp_storage_class()(
        name=form.cleaned_data["import_file_name"],
        encoding=None if input_format.is_binary() else model_admin.from_encoding,
        read_mode=input_format.get_read_mode(),
        **model_admin.get_tmp_storage_class_kwargs(),
    )
    dataset = input_format.create_dataset(storage.read())
    resource = model_admin.choose_import_resource_class(form, request)(
        **model_admin.get_import_resource_kwargs(request, form=form)
    )
    result = resource.import_data(
        dataset,
        dry_run=True,
        raise_errors=False,
        file_name=form.cleaned_data["original_file_name"],
        user=request.user,
    )
    context = {
        **model_admin.admin_site.each_context(request),
        **model_admin.get_import_context_data(),
        "title": "Import",
        "opts": model_admin.model._meta,
        "result": result,
        "form": model_admin.create_import_form(request),
        "fields_list": [],
    }
    if not result.has_errors() and not result.has_validation_errors():
        context["confirm_form"] = form
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, [model_admin.import_template_name], context)
