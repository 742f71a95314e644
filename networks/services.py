"""Writes that touch several models at once."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

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


@transaction.atomic
def roles_setup() -> dict[str, int]:
    """Create or update the groups `editor` and `read-only staff` with exactly their
    permissions (run again after adding models); returns permissions by group name.

    Editors may add, change and delete the records of EDITED_MODELS (so import them)
    and view everything in VIEWABLE_APPS; read-only staff may view the same. Neither
    has any permission on users or groups. A member also needs "staff status" to sign
    in to the admin.
    """
    viewable = Permission.objects.filter(content_type__app_label__in=VIEWABLE_APPS, codename__startswith="view_")
    edited = Permission.objects.none()
    for label in EDITED_MODELS:
        app_label, model = label.split(".")
        edited |= Permission.objects.filter(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in ("add", "change", "delete")],
        )
    roles = {READ_ONLY_STAFF: set(viewable), EDITOR: set(viewable) | set(edited)}
    for name, permissions in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
    return {name: len(permissions) for name, permissions in roles.items()}
