import datetime
import json

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load everything Citynet ships: the study's data, then the real member lists. Idempotent."

    def handle(self, *args, **options):
        call_command("load_study", stdout=self.stdout)
        folder = settings.BASE_DIR / "fixtures" / "memberships"
        manifest = json.loads((folder / "lists.json").read_text(encoding="utf-8"))
        for member_list in manifest["lists"]:
            listed_on = member_list.get("listed_on")
            call_command(
                "load_memberships",
                folder / member_list["file"],
                network=member_list["network"],
                listed_on=datetime.date.fromisoformat(listed_on) if listed_on else None,
                amendments=folder / manifest["amendments"],
                stdout=self.stdout,
            )
