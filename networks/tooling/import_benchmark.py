"""Measuring the admin's membership import at scale (`manage.py bench_import`): a synthetic
member list of made-up places, run through the admin's preview and import views."""

import random
import resource
import time
import tracemalloc
from collections import defaultdict
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
    such: 'Synthetic place N' in Antarctica (AQ: a real code, as the import takes only
    countries, and one no city of any member list is in)."""
    numbers = random.Random(2013)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER)
        for number in range(1, rows + 1):
            latitude, longitude = numbers.uniform(-60, 70), numbers.uniform(-180, 180)
            handle.write(
                f"Synthetic place {number},AQ,{1 + number % 3},{2000 + number % 20},{SOURCE},"
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


# --- a real file of many networks (ClimActor) -----------------------------------------

STUDY_CITIES = {
    "Copenhagen": "DK",
    "Oslo": "NO",
    "Vejle": "DK",
    "Porto Alegre": "BR",
    "Chennai": "IN",
}


def measure_file(
    path: Path,
    *,
    mapping: Path,
    list_column: str,
    source: str,
    decide_new: bool,
    write,
    take_held_kind: bool = False,
) -> None:
    """Preview then import a file of many networks through the command line's pipeline,
    printing time, peak memory and what happened to places. The caller rolls back.

    With `decide_new` every doubtful place becomes a new place; with `take_held_kind` too, a
    row whose only doubt is its kind (a city in the file, a body of that name held) is
    decided as the place held, as an editor would."""
    from cities.models import City
    from cities.models import PlaceDecision
    from cities.names import fold
    from cities.reconcile import KIND_DOUBT
    from cities.reconcile import PlaceQuery
    from networks.importing.memberlists import label_lines
    from networks.importing.memberlists import memberlist_load

    held = defaultdict(list)
    for city in City.objects.only("name", "country", "kind", "slug"):
        held[(fold(city.name), city.country)].append(city)
    held_count = City.objects.count()
    started = time.perf_counter()
    from django.db import transaction

    from networks.importing.memberlists import MemberListError

    try:
        with transaction.atomic():
            preview = memberlist_load(
                path=path,
                mapping_path=mapping,
                list_column=list_column,
                source=source,
                dry_run=True,
                on_labels=lambda rows: [write(line) for line in ["rows per label:", *label_lines(rows)]],
            )
            raise Rollback
    except Rollback:
        pass
    except MemberListError as error:  # invalid rows: the report is on the error
        preview = error.report
        if preview is None:
            raise
    write(f"preview: {time.perf_counter() - started:.1f} s, peak memory {peak_rss_mb():.0f} MB")
    counts = preview.identity_counts
    write("place identity (rows): " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    doubtful = [row for row in preview.identities if row["status"] == "doubtful" and not row["problems"]]
    invalid = [row for row in preview.identities if row["problems"]]
    write(f"doubtful rows: {len(doubtful)}; invalid rows: {len(invalid)}")
    for row in invalid[:10]:
        write(f"  invalid row {row['row']}: {row['name']} ({row['country']}): {row['problems']}")
    if doubtful and not decide_new:
        write("Doubtful rows need decisions: pass --decide-new to measure the import with each made a new place.")
        return
    if invalid:
        # Measure the rest: a copy without the invalid rows, outside the project.
        import csv as csv_module
        import tempfile

        from networks.importing.files import read_csv

        dataset, _ = read_csv(path.read_bytes())
        bad = {row["row"] for row in invalid}
        copy = Path(tempfile.mkdtemp()) / path.name
        with copy.open("w", encoding="utf-8", newline="") as handle:
            writer = csv_module.writer(handle)
            writer.writerow(dataset.headers)
            writer.writerows(values for number, values in enumerate(dataset, start=2) if number not in bad)
        write(f"importing without the {len(bad)} invalid file row(s)")
        path = copy
    taken = 0
    for row in doubtful:
        folded, country, kind = PlaceQuery(row["name"], row["country"], "").decision_key
        city = None
        if take_held_kind and len(row["choices"]) == 1 and row["note"].startswith(KIND_DOUBT):
            # As an editor would: 'Greater Manchester', a city in the file, is the body held.
            city, taken = row["choices"][0], taken + 1
        PlaceDecision.objects.update_or_create(
            key=folded, country=country, kind=row["kind"] or kind, defaults={"city": city}
        )
    if doubtful:
        write(f"doubtful rows decided: {len(doubtful) - taken} as new places, {taken} as the place held (kind)")
    started = time.perf_counter()
    report = memberlist_load(path=path, mapping_path=mapping, list_column=list_column, source=source)
    write(f"import: {time.perf_counter() - started:.1f} s, peak memory {peak_rss_mb():.0f} MB")
    write(report.summary())
    created = City.objects.order_by("pk")[held_count:]
    new = list(created.values("name", "country", "kind", "latitude", "geonames_id"))
    placed = sum(1 for city in new if city["latitude"] is not None)
    duplicates, namesakes = [], []
    for city in new:
        for other in held.get((fold(city["name"]), city["country"]), []):
            # As the duplicates report counts them: a region named like its city is not one.
            (duplicates if other.kind == city["kind"] else namesakes).append((city, other))
    write(
        f"places created: {len(new)}; with coordinates: {placed} ({100 * placed / max(len(new), 1):.1f}%); "
        f"from GeoNames: {sum(1 for city in new if city['geonames_id'])}; "
        f"duplicates of places held (same folded name, country and kind): {len(duplicates)}; "
        f"namesakes of another kind (a region or body named like a city held): {len(namesakes)}"
    )
    for city, other in duplicates + namesakes:
        write(
            f"  new {city['name']} ({city['country']}, {city['kind']}) ~ held {other.name} ({other.kind}) "
            f"[{other.slug}]"
        )
    for name, country in STUDY_CITIES.items():
        records = City.objects.filter(name=name, country=country)
        networks = sorted(
            {slug for city in records for slug in city.memberships.values_list("network__slug", flat=True)}
        )
        write(f"  {name}: {records.count()} record(s); networks: {', '.join(networks)}")
