"""A synthetic data set at the scale of the whole field, for performance work.

`generate()` adds made-up cities, networks, sub-networks, membership spells, participations,
engagement observations and codings with evidence on top of whatever the database holds;
`remove()` deletes exactly those rows again. Every synthetic row is marked, so it can never be
taken for real data:

- membership spells, sub-networks, participations, engagement observations and evidence cite
  one dedicated source, `SYNTHETIC_CITATION` ("Citynet synthetic data (not real)");
- codings are made by coders named "Citynet synthetic coder ... (not real)";
- places and networks have slugs starting `synthetic-`, names starting "Synthetic", and a note
  (`geonames_note`, `coordinates_note`, `description`) saying that they are not real.

No schema change is needed for the marks. Synthetic rows only ever point to other synthetic
rows (and to the current codebook's codes), so real pages and real exports are unchanged.

The data are deterministic for a seed and skewed as the field is (Zipf-like): a few networks
have thousands of members and a few places belong to a hundred networks, while most have few.
Rows are written with `bulk_create` in batches, in one transaction.
"""

from __future__ import annotations

import datetime
import heapq
import math
import random
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db import transaction
from django.utils import timezone

from cities.models import City
from networks.dates import DatePrecision
from networks.dates import period_end
from networks.dates import period_start
from networks.models import Code
from networks.models import Coder
from networks.models import Coding
from networks.models import EngagementObservation
from networks.models import Evidence
from networks.models import Membership
from networks.models import Network
from networks.models import Participation
from networks.models import Source
from networks.models import SubNetwork

SYNTHETIC_LABEL = "Citynet synthetic data (not real)"
SYNTHETIC_CITATION = (
    "Citynet synthetic data (not real): made-up places, networks, memberships and codings written by "
    "`manage.py generate_synthetic` for performance tests. Remove with `manage.py generate_synthetic --remove`."
)
SLUG_PREFIX = "synthetic-"
CODER_PREFIX = "Citynet synthetic coder"
NOT_REAL_NOTE = "Synthetic place made by manage.py generate_synthetic: not a real place and not from GeoNames."

# Sizes at --scale 1.0: the field as published data sets record it (issue 6).
DEFAULT_COUNTS = {
    "cities": 10_000,
    "networks": 250,
    "subnetworks": 2_000,
    "memberships": 100_000,
    "participations": 20_000,
    "engagement": 10_000,
    "codings": 500_000,
}
BATCH_SIZE = 5_000
# The largest network holds at most this share of the synthetic places.
LARGEST_NETWORK_SHARE = 0.85
NETWORK_SKEW = 1.0  # network of rank r gets a share of spells proportional to 1 / r**NETWORK_SKEW
CITY_SKEW = 0.35  # place of rank c is drawn with weight 1 / c**CITY_SKEW
MAX_SPELLS = 3
REJOIN_FACTOR = 1.14  # spells per place
CODERS = ["A", "B"]
SECOND_CODER_SHARE = 0.25
THIS_YEAR = 2025

# Member places are spread over countries with a skew too (more in Europe, as in the real lists).
COUNTRIES = (
    "DE FR IT ES GB PL NL SE BE PT NO DK FI AT CZ RO GR HU IE CH BG HR SK SI LT LV EE RS UA TR "
    "US CA MX BR AR CO CL PE ZA NG KE EG MA GH ET IN CN JP KR ID PH VN TH MY PK BD AU NZ IL JO"
).split()
UNITS = [
    ("Office of the mayor", "political"),
    ("City council", "political"),
    ("International relations unit", "administration"),
    ("Environment department", "administration"),
    ("Planning department", "administration"),
    ("Chief resilience officer", "role"),
    ("Economic development agency", "administration"),
    ("Culture department", "administration"),
]
SUBNETWORK_KINDS = ["forum", "working_group", "platform", "office", "project", "committee", "other"]
MEMBERSHIP_TYPES = [("full", 70), ("associate", 15), ("partner", 5), ("observer", 3), ("unknown", 7)]
OUTCOMES = ["met", "mixed", "unmet", "unknown", ""]


@dataclass
class Report:
    """What a run wrote (or removed): rows per table and seconds per step."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


Progress = Callable[[str], None]


def target_counts(scale: float) -> dict[str, int]:
    """The row counts asked for at `scale` (at least a handful of each)."""
    minimum = {"cities": 5, "networks": 2, "subnetworks": 1, "memberships": 5}
    return {name: max(minimum.get(name, 0), round(count * scale)) for name, count in DEFAULT_COUNTS.items()}


def synthetic_source() -> Source | None:
    return Source.objects.filter(citation=SYNTHETIC_CITATION).first()


def is_present() -> bool:
    """Whether synthetic rows are in the database."""
    return (
        synthetic_source() is not None
        or City.objects.filter(slug__startswith=SLUG_PREFIX).exists()
        or Network.objects.filter(slug__startswith=SLUG_PREFIX).exists()
    )


def zipf_weights(n: int, skew: float) -> list[float]:
    return [1 / (rank**skew) for rank in range(1, n + 1)]


def apportion(total: int, weights: list[float], caps: list[int]) -> list[int]:
    """`total` split in proportion to `weights`, none above its cap (the excess goes to the
    others, in proportion), whole numbers by largest remainder. Returns as much of `total`
    as the caps allow."""
    total = min(total, sum(caps))
    counts = [0] * len(weights)
    open_ = set(range(len(weights)))
    remaining = total
    while remaining > 0 and open_:
        weight = sum(weights[i] for i in open_)
        shares = {i: remaining * weights[i] / weight for i in open_}
        capped = {i for i in open_ if counts[i] + shares[i] >= caps[i]}
        if not capped:
            floors = {i: math.floor(shares[i]) for i in open_}
            for i in open_:
                counts[i] += floors[i]
            left = remaining - sum(floors.values())
            for i in sorted(open_, key=lambda i: (floors[i] - shares[i], i))[:left]:
                counts[i] += 1
            remaining = 0
        else:
            for i in capped:
                remaining -= caps[i] - counts[i]
                counts[i] = caps[i]
            open_ -= capped
    return counts


def weighted_sample(rng: random.Random, items: list[int], weights: list[float], k: int) -> list[int]:
    """`k` distinct items drawn with probability proportional to weight (Efraimidis-Spirakis)."""
    if k >= len(items):
        return list(items)
    keys = ((rng.random() ** (1 / weight), item) for item, weight in zip(items, weights, strict=True))
    return [item for _, item in heapq.nlargest(k, keys)]


def batched(rows: Iterator, size: int = BATCH_SIZE) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Generator:
    """One run of the generator; `run()` writes everything and returns a `Report`."""

    def __init__(self, *, scale: float = 1.0, seed: int = 42, progress: Progress | None = None):
        self.rng = random.Random(seed)
        self.counts = target_counts(scale)
        self.progress = progress or (lambda message: None)
        self.report = Report()
        self.started = time.perf_counter()

    # -- plumbing ---------------------------------------------------------------------

    def step(self, name: str, model, rows: Iterator, expected: int) -> list:
        """bulk_create `rows` in batches, reporting progress; returns the created objects
        (with primary keys) only for small tables, which later steps refer to."""
        started = time.perf_counter()
        created, kept = 0, []
        for batch in batched(rows):
            objects = model.objects.bulk_create(batch, batch_size=BATCH_SIZE)
            created += len(objects)
            if expected <= 50_000:
                kept.extend(objects)
            if expected > 50_000 or created == expected:
                elapsed = time.perf_counter() - started
                self.progress(
                    f"  {name}: {created:,}/{expected:,} ({100 * created / max(expected, 1):.0f}%) "
                    f"in {elapsed:.1f} s, {created / max(elapsed, 1e-9):,.0f} rows/s"
                )
        self.report.rows[name] = created
        self.report.seconds[name] = time.perf_counter() - started
        return kept

    # -- the run ----------------------------------------------------------------------

    def run(self) -> Report:
        codes = list(Code.objects.current())
        if not codes:
            raise ValueError("There is no current codebook to code with: run `manage.py load_citynet` first.")
        self.codes = sorted(codes, key=lambda code: (code.kind, code.position, code.code))
        self.now = timezone.now().replace(microsecond=0)
        with transaction.atomic():
            self.source = Source.objects.create(
                kind=Source.Kind.DATASET, label=SYNTHETIC_LABEL, citation=SYNTHETIC_CITATION, year=THIS_YEAR
            )
            self.coders = [
                Coder.objects.create(
                    name=f"{CODER_PREFIX} {letter} (not real)",
                    description="Made-up codings written by manage.py generate_synthetic for performance tests.",
                )
                for letter in CODERS
            ]
            self.make_cities()
            self.make_networks()
            self.make_subnetworks()
            self.make_memberships()
            self.make_participations()
            self.make_engagement()
            self.make_codings()
        started = time.perf_counter()
        analyse()
        self.report.seconds["analyze"] = time.perf_counter() - started
        return self.report

    def make_cities(self) -> None:
        n = self.counts["cities"]
        country_weights = zipf_weights(len(COUNTRIES), 1.0)
        kinds = [City.Kind.CITY] * 95 + [City.Kind.METROPOLITAN] * 3 + [City.Kind.GROUPING, City.Kind.DISTRICT]

        def rows():
            for number in range(1, n + 1):
                yield City(
                    name=f"Synthetic city {number:05d}",
                    slug=f"{SLUG_PREFIX}city-{number:05d}",
                    country=self.rng.choices(COUNTRIES, country_weights)[0],
                    kind=self.rng.choice(kinds),
                    latitude=round(self.rng.uniform(-50, 65), 5),
                    longitude=round(self.rng.uniform(-170, 175), 5),
                    coordinates_note="Synthetic point (not real).",
                    population=int(self.rng.lognormvariate(12, 1.2)),
                    population_source=SYNTHETIC_LABEL,
                    geonames_note=NOT_REAL_NOTE,
                )

        self.progress(f"Places: {n:,}")
        self.cities = [city.pk for city in self.step("cities", City, rows(), n)]
        # Rank = creation order: place 1 is the most connected.
        self.city_weights = zipf_weights(len(self.cities), CITY_SKEW)

    def make_networks(self) -> None:
        n = self.counts["networks"]
        self.network_founded: dict[int, int] = {}
        self.network_ended: dict[int, int | None] = {}

        def rows():
            for number in range(1, n + 1):
                founded = min(2008, 1950 + int(self.rng.betavariate(4, 1.5) * 60))
                ended = self.rng.randint(max(founded, 1980) + 15, 2024) if self.rng.random() < 0.04 else None
                scope = self.rng.choices(["global", "regional", "national"], [30, 50, 20])[0]
                yield Network(
                    name=f"Synthetic network {number:03d} (not real)",
                    acronym=f"SYN{number:03d}",
                    slug=f"{SLUG_PREFIX}network-{number:03d}",
                    description="A made-up network written by manage.py generate_synthetic: not real.",
                    scope=scope,
                    region="Europe" if scope == "regional" else "",
                    focus=self.rng.choice(["general", "specialised"]),
                    founded=founded,
                    ended=ended,
                    headquarters_id=self.cities[min(len(self.cities) - 1, int(self.rng.paretovariate(1.2)) - 1)],
                )

        self.progress(f"Networks: {n:,}")
        networks = self.step("networks", Network, rows(), n)
        self.networks = [network.pk for network in networks]
        for network in networks:
            self.network_founded[network.pk] = network.founded
            self.network_ended[network.pk] = network.ended
        self.network_weights = zipf_weights(len(self.networks), NETWORK_SKEW)

    def make_subnetworks(self) -> None:
        n = self.counts["subnetworks"]
        per_network = apportion(n, self.network_weights, [60] * len(self.networks))
        self.subnetworks: dict[int, list[int]] = {}

        def rows():
            number = 0
            for network, count in zip(self.networks, per_network, strict=True):
                for _ in range(count):
                    number += 1
                    kind = self.rng.choices(SUBNETWORK_KINDS, [40, 25, 10, 5, 10, 5, 5])[0]
                    yield SubNetwork(
                        network_id=network,
                        name=f"Synthetic {kind.replace('_', ' ')} {number:04d} (not real)",
                        slug=f"{SLUG_PREFIX}{kind.replace('_', '-')}-{number:04d}",
                        kind=kind,
                        permanent=self.rng.choice([True, True, False, None]),
                        source=self.source,
                    )

        self.progress(f"Sub-networks: {sum(per_network):,}")
        created = self.step("subnetworks", SubNetwork, rows(), sum(per_network))
        for subnetwork in created:
            self.subnetworks.setdefault(subnetwork.network_id, []).append(subnetwork.pk)
        # Some working groups sit under a forum of the same network.
        children = []
        for pks in self.subnetworks.values():
            for pk in pks[1:]:
                if self.rng.random() < 0.1:
                    children.append(SubNetwork(pk=pk, parent_id=pks[0]))
        SubNetwork.objects.bulk_update(children, ["parent"], batch_size=BATCH_SIZE)

    def spell_dates(self, network: int, spells: int) -> list[tuple]:
        """`spells` successive spells of one place in one network as (joined, joined precision,
        left, left precision), each starting after the previous one ended."""
        first = max(self.network_founded[network], 1980)
        ended = self.network_ended[network]
        last = ended or THIS_YEAR
        # Leave room for every later spell: two years each (leave, then rejoin).
        years = []
        start = self.rng.randint(first, last - 2 * (spells - 1) - 1) if spells > 1 else self.rng.randint(first, last)
        for index in range(spells):
            is_last = index == spells - 1
            remaining = spells - index - 1
            if is_last:
                leaves = ended is not None or (start < THIS_YEAR and self.rng.random() < 0.25)
                stop = self.rng.randint(start, last) if leaves else None
                if ended is not None and stop is not None:
                    stop = max(stop, start)
            else:
                stop = self.rng.randint(start, last - 2 * remaining)
            years.append((start, stop))
            if not is_last:
                start = self.rng.randint(stop + 1, last - 2 * remaining + 1)
        dates = []
        for start, stop in years:
            joined_precision = self.rng.choices(PRECISION_CHOICES, [50, 20, 30])[0]
            month = self.rng.randint(1, 12)
            day = self.rng.randint(1, 28)
            if joined_precision == DatePrecision.DAY:
                joined = datetime.date(start, month, day)
            elif joined_precision == DatePrecision.MONTH:
                joined = period_start(start, month)
            else:
                joined = period_start(start)
            left, left_precision = None, DatePrecision.DAY
            if stop is not None:
                # An end known to the year is the last day of that year, never before the start.
                left_precision = DatePrecision.YEAR if stop > start or self.rng.random() < 0.5 else DatePrecision.DAY
                left = period_end(stop) if left_precision == DatePrecision.YEAR else datetime.date(stop, 12, 31)
            dates.append((joined, joined_precision, left, left_precision))
        return dates

    def make_memberships(self) -> None:
        n = self.counts["memberships"]
        cap = max(1, int(LARGEST_NETWORK_SHARE * len(self.cities)))
        # About one place in eight has left and rejoined, in the largest network as in the others.
        most = max(1, int(cap * REJOIN_FACTOR))
        spells_per_network = apportion(n, self.network_weights, [most] * len(self.networks))
        round_based = {network for network in self.networks if self.rng.random() < 0.1}
        self.pairs: list[tuple[int, int]] = []
        types, type_weights = zip(*MEMBERSHIP_TYPES, strict=True)

        def rows():
            for network, spells in zip(self.networks, spells_per_network, strict=True):
                places = min(cap, max(1, math.ceil(spells / REJOIN_FACTOR)), spells)
                members = weighted_sample(self.rng, self.cities, self.city_weights, places)
                members.sort()
                per_place = [1] * len(members)
                extra = spells - len(members)
                order = list(range(len(members)))
                self.rng.shuffle(order)
                while extra > 0:
                    for index in order:
                        if extra == 0:
                            break
                        # Most who come back do so once; some leave and rejoin twice.
                        more = 2 if extra >= 2 and self.rng.random() < 0.15 else 1
                        more = min(more, MAX_SPELLS - per_place[index])
                        per_place[index] += more
                        extra -= more
                for city, count in zip(members, per_place, strict=True):
                    self.pairs.append((city, network))
                    if count == 1 and self.rng.random() < 0.02:
                        # An undated spell: the source gives no dates.
                        yield Membership(
                            city_id=city, network_id=network, source=self.source, type="unknown", took_effect=True
                        )
                        continue
                    for joined, joined_precision, left, left_precision in self.spell_dates(network, count):
                        took_effect = not (count == 1 and left is None and self.rng.random() < 0.005)
                        yield Membership(
                            city_id=city,
                            network_id=network,
                            type=self.rng.choices(types, type_weights)[0],
                            joined=joined,
                            joined_precision=joined_precision,
                            left=left,
                            left_precision=left_precision,
                            application_round=self.rng.randint(1, 3) if network in round_based else None,
                            took_effect=took_effect,
                            listed_on=datetime.date(2025, 5, 18) if left is None and self.rng.random() < 0.5 else None,
                            note="" if took_effect else "Selected, but the membership never started (synthetic).",
                            source=self.source,
                        )

        total = sum(spells_per_network)
        self.progress(f"Membership spells: {total:,}")
        self.step("memberships", Membership, rows(), total)

    def make_participations(self) -> None:
        n = self.counts["participations"]
        with_subnetworks = [pair for pair in self.pairs if pair[1] in self.subnetworks]
        seen = set()

        def rows():
            if not with_subnetworks:
                return
            attempts = 0
            while len(seen) < n and attempts < 4 * n:
                attempts += 1
                city, network = self.rng.choice(with_subnetworks)
                subnetwork = self.rng.choice(self.subnetworks[network])
                unit, unit_kind = self.rng.choice(UNITS)
                since = self.rng.randint(max(self.network_founded[network], 1990), 2024)
                key = (city, network, subnetwork, unit, since)
                if key in seen:
                    continue
                seen.add(key)
                yield Participation(
                    city_id=city,
                    network_id=network,
                    subnetwork_id=subnetwork,
                    unit=unit,
                    unit_kind=unit_kind,
                    involvement=self.rng.choice(["leading", "regular", "occasional", "rare", "unknown"]),
                    since=period_start(since),
                    source=self.source,
                )

        self.progress(f"Participations: {n:,}")
        self.step("participations", Participation, rows(), n)

    def make_engagement(self) -> None:
        n = self.counts["engagement"]
        seen = set()

        def rows():
            attempts = 0
            while len(seen) < n and attempts < 4 * n and self.pairs:
                attempts += 1
                city, network = self.rng.choice(self.pairs)
                year = self.rng.randint(max(self.network_founded[network], 1990), 2024)
                if (city, network, year) in seen:
                    continue
                seen.add((city, network, year))
                yield EngagementObservation(
                    city_id=city,
                    network_id=network,
                    observed_on=period_start(year),
                    level=self.rng.randint(0, 3),
                    is_peak=self.rng.random() < 0.05,
                    source=self.source,
                    locator=f"p. {self.rng.randint(1, 300)}",
                )

        self.progress(f"Engagement observations: {n:,}")
        self.step("engagement", EngagementObservation, rows(), n)

    def coding_cells(self) -> Iterator[tuple]:
        """(city or None, network, code, perspective, coder) cells to code, each once: first
        every network's view of itself, then members' use, the better-connected places first."""
        for network in self.networks:
            for code in self.codes:
                yield None, network, code, Coding.Perspective.NETWORK, self.coders[0]
        weight = dict(zip(self.cities, self.city_weights, strict=True))
        # Better-connected places are more likely to have been studied.
        order = sorted(self.pairs, key=lambda pair: -(self.rng.random() ** (1 / weight[pair[0]])))
        for city, network in order:
            perspectives = [Coding.Perspective.CITY]
            if self.rng.random() < 0.4:
                perspectives.append(Coding.Perspective.RESEARCHER)
            if self.rng.random() < 0.2:
                perspectives.append(Coding.Perspective.NETWORK)
            coders = self.coders if self.rng.random() < SECOND_CODER_SHARE else self.coders[:1]
            codes = [code for code in self.codes if self.rng.random() < 0.85] or [self.codes[0]]
            for perspective in perspectives:
                for coder in coders:
                    for code in codes:
                        yield city, network, code, perspective, coder

    def make_codings(self) -> None:
        n = self.counts["codings"]
        self.progress(f"Codings: {n:,}, each with evidence")
        started = time.perf_counter()
        made, evidence_made = 0, 0
        cells = self.coding_cells()
        done = False
        while not done:
            batch = []
            for city, network, code, perspective, coder in cells:
                salience = self.rng.choices([0, 1, 2, 3], [5, 25, 40, 30])[0]
                batch.append(
                    Coding(
                        city_id=city,
                        network_id=network,
                        code=code,
                        salience=salience,
                        outcome=self.rng.choice(OUTCOMES) if code.kind == Code.Kind.FUNCTION else "",
                        perspective=perspective,
                        coder=coder,
                        coded_at=self.now - datetime.timedelta(minutes=self.rng.randint(0, 60 * 24 * 365 * 5)),
                    )
                )
                if len(batch) == BATCH_SIZE or made + len(batch) == n:
                    break
            else:
                done = True
            if not batch:
                break
            codings = Coding.objects.bulk_create(batch, batch_size=BATCH_SIZE)
            made += len(codings)
            evidence = []
            for coding in codings:
                for position in range(1 if self.rng.random() < 0.7 else 2):
                    kind = self.rng.choice(["quote", "paraphrase"])
                    evidence.append(
                        Evidence(
                            coding_id=coding.pk,
                            source=self.source,
                            kind=kind,
                            locator=f"p. {self.rng.randint(1, 300)}",
                            text=f"Synthetic {kind} {position + 1} on {coding.code.name.lower()} (not real): "
                            f"salience {coding.salience}, {coding.get_perspective_display().lower()}.",
                            position=position,
                        )
                    )
            Evidence.objects.bulk_create(evidence, batch_size=BATCH_SIZE)
            evidence_made += len(evidence)
            elapsed = time.perf_counter() - started
            if made % 50_000 < BATCH_SIZE or made == n or done:
                self.progress(
                    f"  codings: {made:,}/{n:,} ({100 * made / max(n, 1):.0f}%), evidence {evidence_made:,}, "
                    f"in {elapsed:.1f} s, {(made + evidence_made) / max(elapsed, 1e-9):,.0f} rows/s"
                )
            if made >= n:
                break
        self.report.rows["codings"] = made
        self.report.rows["evidence"] = evidence_made
        self.report.seconds["codings"] = time.perf_counter() - started


PRECISION_CHOICES = [DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR]


def analyse() -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL and SQLite both use
    them). On PostgreSQL, outside a transaction, also VACUUM: it marks the new pages all-visible,
    so index-only scans need not visit the table, and the first readers need not set hint bits."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")


def generate(*, scale: float = 1.0, seed: int = 42, progress: Progress | None = None) -> Report:
    """Add the synthetic data set at `scale` (1.0: 10,000 places, 250 networks, 2,000
    sub-networks, 100,000 spells, 500,000 codings with evidence); deterministic for `seed`.
    Raises ValueError if synthetic rows are already there or there is no codebook."""
    if scale <= 0:
        raise ValueError("--scale must be above 0.")
    if is_present():
        raise ValueError("Synthetic data are already in the database: remove them first (--remove).")
    return Generator(scale=scale, seed=seed, progress=progress).run()


def remove(*, progress: Progress | None = None) -> Report:
    """Delete every synthetic row (and the history entries of synthetic rows), and nothing else.

    Deletes with plain SQL, table by table, in one transaction: the ORM's delete() would load
    each of a million rows to write a history entry for it."""
    progress = progress or (lambda message: None)
    report = Report()
    source = synthetic_source()
    source_id = source.pk if source else None
    coder_ids = list(Coder.objects.filter(name__startswith=CODER_PREFIX).values_list("pk", flat=True))
    network_ids = Network.objects.filter(slug__startswith=SLUG_PREFIX).values("pk")
    codings = Coding.objects.filter(coder__in=coder_ids)
    steps = [
        ("evidence", Evidence.objects.filter(coding__in=codings.values("pk"))),
        ("evidence", Evidence.objects.filter(source_id=source_id)),
        ("codings", codings),
        ("participations", Participation.objects.filter(source_id=source_id)),
        ("engagement", EngagementObservation.objects.filter(source_id=source_id)),
        ("memberships", Membership.objects.filter(source_id=source_id)),
        ("subnetworks", SubNetwork.objects.filter(source_id=source_id, parent__isnull=False)),
        ("subnetworks", SubNetwork.objects.filter(source_id=source_id)),
        ("network themes", Network.themes.through.objects.filter(network__in=network_ids)),
        ("network offices", Network.regional_offices.through.objects.filter(network__in=network_ids)),
        ("networks", Network.objects.filter(slug__startswith=SLUG_PREFIX)),
        ("cities", City.objects.filter(slug__startswith=SLUG_PREFIX)),
        ("coders", Coder.objects.filter(pk__in=coder_ids)),
        ("history", Membership.history.filter(source_id=source_id)),
        ("history", Coding.history.filter(coder_id__in=coder_ids)),
        ("history", Evidence.history.filter(source_id=source_id)),
        ("sources", Source.objects.filter(pk=source_id)),
    ]
    with transaction.atomic():
        for name, queryset in steps:
            started = time.perf_counter()
            deleted = raw_delete(queryset)
            report.rows[name] = report.rows.get(name, 0) + deleted
            report.seconds[name] = report.seconds.get(name, 0) + time.perf_counter() - started
            if deleted:
                progress(f"  {name}: {deleted:,} deleted in {time.perf_counter() - started:.1f} s")
    return report


def raw_delete(queryset) -> int:
    """DELETE the rows of `queryset` in one statement, without loading them or sending signals."""
    try:
        sql, params = queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:
        return 0
    table = queryset.model._meta.db_table
    pk = queryset.model._meta.pk.column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # A subquery, because MySQL-style DELETE ... JOIN is not portable; the ORM wrote its SQL.
        cursor.execute(f"DELETE FROM {quote(table)} WHERE {quote(pk)} IN (SELECT * FROM ({sql}) AS doomed)", params)
        return cursor.rowcount
