"""The admin's import of coded REFI-QDA projects: upload, preview with every mapping the
editor can change, confirm (`networks.research.qdpx_import`). The remembered mappings are
listed (read-only) under "Coded project imports"."""

import datetime
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from django.contrib import admin
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.urls import reverse

from networks.models import Code
from networks.models import Coder
from networks.models import Coding
from networks.models import Evidence
from networks.models import Network
from networks.models import ProjectImportMapping
from networks.research.qdpx_import import LIMITS
from networks.research.qdpx_import import Choices
from networks.research.qdpx_import import ImportRefused
from networks.research.qdpx_import import ProjectRefused
from networks.research.qdpx_import import project_import
from networks.research.qdpx_import import propose
from networks.research.qdpx_import import read_upload
from networks.research.qdpx_import import remembered_choices
from networks.research.qdpx_import.mapping import NEW
from networks.research.qdpx_import.mapping import SKIP
from networks.research.qdpx_import.reading import MAX_UPLOAD

# What importing writes: codings, evidence (read verbatim in the preview), sources and coders.
IMPORT_PERMISSIONS = [
    "networks.add_coding",
    "networks.change_coding",
    "networks.add_evidence",
    "networks.change_evidence",
    "networks.add_source",
    "networks.view_restricted_evidence",
]
UPLOADS = Path(tempfile.gettempdir()) / "citynet-qdpx-uploads"
# An upload not confirmed (nor previewed again) for this long is abandoned: it is removed
# when the next upload is kept.
ABANDONED_AFTER = datetime.timedelta(days=1)
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,50}$")
VISIBILITY_CHOICES = [
    ("default", "Restricted for interviews, public for the rest"),
    ("public", str(Evidence.Visibility.PUBLIC.label)),
    ("restricted", str(Evidence.Visibility.RESTRICTED.label)),
]
PERSPECTIVE_CHOICES = [("default", "From the case (a city's: its informants; the network's: its staff)")] + [
    (value, str(label)) for value, label in Coding.Perspective.choices
]
UNRATED_CHOICES = [("", "import them not rated (salience left empty)"), (SKIP, "leave them out (listed)")] + [
    (str(value), f"record them as {value}") for value in range(4)
]
OPTION_FIELDS = ["network", "default_coder", "visibility", "kind", "perspective", "unrated_salience"]


def _keep(data: bytes) -> str:
    """Keep an upload between the preview and the confirmation; its token names it."""
    UPLOADS.mkdir(mode=0o700, exist_ok=True)
    remove_abandoned_uploads()
    token = secrets.token_urlsafe(24)
    (UPLOADS / token).write_bytes(data)
    return token


def _kept(token: str) -> bytes | None:
    if not TOKEN.match(token or ""):
        return None
    path = UPLOADS / token
    try:
        data = path.read_bytes()
        os.utime(path)  # previewed again: not abandoned
    except OSError:
        return None
    return data


def remove_abandoned_uploads() -> int:
    """Remove the uploads untouched for ABANDONED_AFTER; returns how many were removed."""
    cutoff = time.time() - ABANDONED_AFTER.total_seconds()
    removed = 0
    try:
        paths = list(UPLOADS.iterdir())
    except OSError:
        return 0
    for kept in paths:
        try:
            if TOKEN.match(kept.name) and kept.is_file() and kept.stat().st_mtime < cutoff:
                kept.unlink()
                removed += 1
        except OSError:
            continue  # removed by another request meanwhile, or not ours to remove
    return removed


def _choices_from(post, plan) -> Choices:
    choices = Choices.from_json(plan.choices.as_json())
    for row in plan.code_rows:
        value = post.get(f"code-{row['guid']}")
        if value:
            choices.codes[row["guid"]] = value
    for row in plan.coder_rows:
        value = (post.get(f"coder-{row['guid']}") or "").strip()
        if value:
            choices.coders[row["guid"]] = value
    for row in plan.unit_rows:
        value = (post.get(f"cell-{row['key']}") or "").strip()
        if value:
            choices.cells[row["key"]] = value
    for name in OPTION_FIELDS:
        if name in post:
            setattr(choices, name, post.get(name, "").strip())
    return choices


def _permission_problems(user, plan) -> list[str]:
    """Coders and codes are administrators' (networks.services.EDITED_MODELS): an editor maps
    the project's users and codes to existing ones."""
    problems = []
    coders = {item.coder for item in plan.codings}
    new_coders = sorted(coders - set(Coder.objects.filter(name__in=coders).values_list("name", flat=True)))
    if new_coders and not user.has_perm("networks.add_coder"):
        problems.append(
            f"New coders ({', '.join(new_coders)}): only an administrator may add coders; map each user to an "
            "existing coder."
        )
    if any(item.code is None for item in plan.codings) and not user.has_perms(
        ["networks.add_code", "networks.add_codebookversion"]
    ):
        problems.append("Only an administrator may add codes to a new codebook version: map or leave out those codes.")
    return problems


class ProjectImportMappingAdmin(admin.ModelAdmin):
    list_display = ["project_name", "origin", "updated_at", "updated_by"]
    readonly_fields = ["key", "project_name", "origin", "choices", "updated_at", "updated_by"]
    change_list_template = "admin/networks/projectimportmapping/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_import_permission(self, request) -> bool:
        return request.user.has_perms(IMPORT_PERMISSIONS)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="networks_projectimportmapping_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"can_import": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def import_view(self, request):
        """GET: the upload form. POST a file: the preview. POST the preview: again, or the import."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import a coded project (REFI-QDA)",
            "limits": LIMITS,
        }
        if request.method != "POST":
            return TemplateResponse(request, "admin/networks/qdpx_import.html", context)
        upload = request.FILES.get("project_file")
        token = request.POST.get("token", "")
        file_name = upload.name if upload else request.POST.get("file_name", "")
        if upload is not None:
            if upload.size > MAX_UPLOAD:
                context["refusal"] = f"The file is over the limit of {MAX_UPLOAD // (1024 * 1024)} MB."
                return TemplateResponse(request, "admin/networks/qdpx_import.html", context)
            data = upload.read()
            token = _keep(data)
        else:
            data = _kept(token)
            if data is None:
                context["refusal"] = (
                    "The uploaded file is no longer at hand (an upload left for "
                    f"{ABANDONED_AFTER // datetime.timedelta(hours=1)} hours is removed): upload it again."
                )
                return TemplateResponse(request, "admin/networks/qdpx_import.html", context)
        try:
            project = read_upload(data, file_name=file_name)
        except ProjectRefused as refusal:
            context["refusal"] = str(refusal)
            return TemplateResponse(request, "admin/networks/qdpx_import.html", context)
        plan = propose(project, remembered_choices(project))
        if upload is None:
            plan = propose(project, _choices_from(request.POST, plan))
        plan.problems.extend(_permission_problems(request.user, plan))
        if upload is None and request.POST.get("action") == "confirm":
            try:
                counts = project_import(plan=plan, user=request.user, file_name=file_name)
            except ImportRefused:
                pass  # the preview below lists the problems
            except ValidationError as error:
                plan.problems.extend(error.messages)
            else:
                (UPLOADS / token).unlink(missing_ok=True)
                done = ", ".join(f"{count} {what}" for what, count in sorted(counts.items())) or "nothing changed"
                self.message_user(request, f"Imported {file_name}: {done}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:networks_projectimportmapping_changelist"))
        context.update(self.preview_context(plan, token, file_name))
        return TemplateResponse(request, "admin/networks/qdpx_import.html", context)

    def preview_context(self, plan, token: str, file_name: str) -> dict:
        counts = {}
        if not plan.problems:
            try:
                counts = project_import(plan=plan, file_name=file_name, dry_run=True)
            except ValidationError as error:
                plan.problems.extend(error.messages)
        codes = [(str(code.pk), f"{code.name} ({code.code})") for code in Code.objects.current()]
        return {
            "plan": plan,
            "project": plan.project,
            "token": token,
            "file_name": file_name,
            "counts": sorted(counts.items()),
            "code_options": [*codes, (NEW, "add to a new codebook version"), (SKIP, "leave out")],
            "networks": Network.objects.order_by("name").values_list("slug", "name"),
            "options": [
                {"name": name, "label": label, "choices": values, "selected": getattr(plan.choices, name)}
                for name, label, values in [
                    ("visibility", "Visibility of the evidence", VISIBILITY_CHOICES),
                    ("kind", "Kind of evidence", Evidence.Kind.choices),
                    ("perspective", "Perspective of the codings", PERSPECTIVE_CHOICES),
                    ("unrated_salience", "Codings with no salience in the project", UNRATED_CHOICES),
                ]
            ],
        }


admin.site.register(ProjectImportMapping, ProjectImportMappingAdmin)
