"""Measuring the admin's membership import at scale (`manage.py bench_import`): a synthetic
member list of made-up places, run through the admin's preview and import views."""

import random
import resource
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.urls import reverse
from simple_history.models import HistoricalRecords

from networks.models import Membership
from networks.models import Network

SOURCE = "Synthetic benchmark list made by manage.py bench_import; not real data"
HEADER = "city,country_iso2,round,year_selected,source,latitude,longitude,population\n"


class Rollback(Exception):
    pass


def write_member_list(path: Path, rows: int) -> None:
    """A member list in the format of fixtures/memberships/, of made-up places marked as
    such: 'Synthetic place N' in country XX (a code ISO 3166 leaves for private use)."""
    numbers = random.Random(2013)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER)
        for number in range(1, rows + 1):
            latitude, longitude = numbers.uniform(-60, 70), numbers.uniform(-180, 180)
            handle.write(
                f"Synthetic place {number},XX,{1 + number % 3},{2000 + number % 20},{SOURCE},"
                f"{latitude:.5f},{longitude:.5f},{numbers.randint(10_000, 5_000_000)}\n"
            )


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def signed_in(request):
    # What HistoryRequestMiddleware does for a real request: history records the user.
    HistoricalRecords.context.request = request
    try:
        yield
    finally:
        del HistoricalRecords.context.request


class ImportBenchmark:
    """Times the admin's membership preview and import views on a member list file, writing
    seconds, counts and peak memory to `write`. Call inside a transaction that is rolled back."""

    def __init__(self, write):
        self.write = write

    def run(self, path: Path, rows: int) -> None:
        user = get_user_model().objects.create_superuser("bench-import", "bench@example.org", None)
        network, _ = Network.objects.get_or_create(
            slug="synthetic-bench",
            defaults={"name": "Synthetic benchmark network", "scope": "global", "focus": "general"},
        )
        model_admin = admin.site._registry[Membership]
        factory = RequestFactory()

        def post(view: str, data: dict):
            request = factory.post(reverse(f"admin:networks_membership_{view}"), data)
            request.user = user
            request._dont_enforce_csrf_checks = True
            request._messages = CookieStorage(request)
            with signed_in(request):
                view_function = model_admin.import_action if view == "import" else model_admin.process_import
                response = view_function(request)
                if hasattr(response, "render"):
                    response.render()
            return request, response

        def upload() -> dict:
            data = path.read_bytes()
            return {
                "network": network.pk,
                "format": "0",
                "resource": "0",
                "import_file": SimpleUploadedFile(path.name, data),
            }

        started = time.perf_counter(), time.process_time()
        _, response = post("import", upload())
        result = response.context_data["result"]
        self.report("preview", started, result)
        confirm = response.context_data.get("confirm_form")
        if confirm is None:
            raise CommandError("The preview found problems; nothing to import.")

        started = time.perf_counter(), time.process_time()
        request, response = post("process_import", {**confirm.initial, "network": network.pk})
        seconds = self.seconds(started)
        stored = Membership.objects.filter(network=network).count()
        messages = [str(message) for message in request._messages._queued_messages]
        self.write(f"import:  {seconds}   {stored:,} memberships stored; {' '.join(messages)}")
        self.memory()

        started = time.perf_counter(), time.process_time()
        _, response = post("import", upload())
        self.report("again", started, response.context_data["result"])

    @staticmethod
    def seconds(started: tuple[float, float]) -> str:
        """Elapsed and CPU seconds: on a busy machine the first can be well above the second."""
        return f"{time.perf_counter() - started[0]:6.1f} s ({time.process_time() - started[1]:.1f} s CPU)"

    def report(self, step: str, started: tuple[float, float], result) -> None:
        totals = result.totals
        self.write(
            f"{step + ':':8} {self.seconds(started)}   {totals['new']:,} new, {totals['update']:,} changed, "
            f"{totals['skip']:,} unchanged, {totals['invalid']:,} invalid"
        )
        self.memory()

    def memory(self) -> None:
        line = f"         peak memory so far: {peak_rss_mb():,.0f} MB (resident)"
        if tracemalloc.is_tracing():
            line += f", {tracemalloc.get_traced_memory()[1] / 2**20:,.0f} MB allocated by Python"
        self.write(line)
