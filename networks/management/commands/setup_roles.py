from django.core.management.base import BaseCommand

from networks.services import EDITOR
from networks.services import READ_ONLY_STAFF
from networks.services import roles_setup


class Command(BaseCommand):
    help = (
        f"Create or update the groups '{EDITOR}' (add, change and delete memberships, codings, evidence, "
        f"sources, participations, sub-networks, engagement observations and cities; view everything, restricted "
        f"evidence included) and '{READ_ONLY_STAFF}' (view everything, evidence as the public sees it). Neither may "
        "touch users or groups. Idempotent."
    )

    def handle(self, *args, **options):
        for name, count in roles_setup().items():
            self.stdout.write(f"{name}: {count} permissions")
        self.stdout.write("Give a person a role in the admin (Users): tick 'Staff status' and add the group.")
