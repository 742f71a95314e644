"""Writes that touch several models at once, or the database and files together."""

import datetime
import shutil
from pathlib import Path

from django.contrib.auth.models import Group
from django.contrib.auth.models import Permission
from django.db import transaction

from networks.models import Release
from networks.research.releases import build_release
from networks.visibility import PERMISSION

EDITOR = "editor"
READ_ONLY_STAFF = "read-only staff"
# Apps whose every model staff may see; users, groups and API tokens are not among them.
VIEWABLE_APPS = ["cities", "networks"]
# What editors keep current; the networks, the codebook and coders stay with administrators.
EDITED_MODELS = [
    "cities.city",
    "networks.membership",
    "networks.coding",
    "networks.evidence",
    "networks.source",
    "networks.participation",
    "networks.subnetwork",
    "networks.engagementobservation",
]
# Reading restricted and paraphrase-only evidence verbatim (networks.visibility): editors only.
RESTRICTED_CODENAME = PERMISSION.split(".")[1]


@transaction.atomic
def roles_setup() -> dict[str, int]:
    """Create or update the groups `editor` and `read-only staff` with exactly their
    permissions (run again after adding models); returns permissions by group name.

    Editors may add, change and delete the records of EDITED_MODELS (so import them)
    and view everything in VIEWABLE_APPS; read-only staff may view the same. Editors,
    who enter the evidence, also read restricted and paraphrase-only evidence verbatim;
    read-only staff see it as the public does. Neither has any permission on users or
    groups. A member also needs "staff status" to sign in to the admin.
    """
    restricted = Permission.objects.filter(content_type__app_label="networks", codename=RESTRICTED_CODENAME)
    viewable = Permission.objects.filter(
        content_type__app_label__in=VIEWABLE_APPS, codename__startswith="view_"
    ).exclude(pk__in=restricted)
    edited = Permission.objects.none()
    for label in EDITED_MODELS:
        app_label, model = label.split(".")
        edited |= Permission.objects.filter(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in ("add", "change", "delete")],
        )
    roles = {READ_ONLY_STAFF: set(viewable), EDITOR: set(viewable) | set(edited) | set(restricted)}
    for name, permissions in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
    return {name: len(permissions) for name, permissions in roles.items()}


@transaction.atomic
def release_create(
    *,
    label: str,
    released: datetime.date,
    description: str = "",
    directory: Path | None = None,
    license: dict | None = None,
    url: str = "",
) -> Release:
    """Freeze the current data as release `label` (networks.research.releases.build_release writes the
    bundle and zip) and record it as a Release row, which the site lists and serves.

    The label is checked before any file is written; if recording the row fails after the
    files were written, they are removed again, so a label is either fully released or free.
    Raises ValidationError (bad or taken label), ValueError or FileExistsError.
    """
    release = Release(label=label, released=released, description=description)
    release.full_clean(exclude=["counts", "files", "zip_path", "zip_sha256"])
    built = build_release(label=label, released=released, directory=directory, license=license, url=url)
    try:
        release.counts = built["counts"]
        release.files = built["files"]
        release.zip_path = built["zip"]
        release.zip_sha256 = built["zip_sha256"]
        release.full_clean()
        release.save()
    except Exception:
        zip_path = Path(built["zip"])
        shutil.rmtree(built["directory"], ignore_errors=True)
        zip_path.unlink(missing_ok=True)
        zip_path.with_name(f"{zip_path.name}.sha256").unlink(missing_ok=True)
        raise
    return release
