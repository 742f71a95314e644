"""Load the study's data (Grønnestad and Nielsen 2018) from fixtures/study/study.json.

The file's `about` entry documents its shape. Loading is idempotent: every row is
matched on its natural key, saved only when a field differs, and nothing missing
from the file is deleted.
"""

import datetime
import json
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db import transaction
from django.utils.text import slugify

from cities.models import City
from networks.models import Code
from networks.models import CodebookVersion
from networks.models import Coder
from networks.models import Coding
from networks.models import EngagementObservation
from networks.models import Evidence
from networks.models import Network
from networks.models import Participation
from networks.models import Source
from networks.models import SubNetwork
from networks.models import Theme

STUDY_PATH = settings.BASE_DIR / "fixtures" / "study" / "study.json"
MODELS = [
    City,
    Source,
    Theme,
    Network,
    SubNetwork,
    CodebookVersion,
    Code,
    Coder,
    Coding,
    Evidence,
    EngagementObservation,
    Participation,
]
# An existing city keeps what an editor or the member lists set; the study only fills gaps,
# a group at a time so a point or a population never mixes two records.
CITY_FILL_GROUPS = [
    ("geonames_id", "geonames_name", "geonames_note"),
    ("latitude", "longitude"),
    ("population", "population_source"),
]

Counts = dict[str, dict[str, int]]


def _upsert(model: type[models.Model], lookup: dict, values: dict) -> tuple[models.Model, str]:
    """Find the row by `lookup`, set `values`, save only if something differs."""
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance, status = model(**lookup, **values), "created"
    else:
        changed = {name: value for name, value in values.items() if getattr(instance, name) != value}
        if not changed:
            return instance, "unchanged"
        for name, value in changed.items():
            setattr(instance, name, value)
        status = "updated"
    instance.full_clean()
    instance.save()
    return instance, status


def _city_upsert(row: dict) -> tuple[City, str]:
    """The study's cities are the member lists' records: find by GeoNames id, then (for a
    city entered by hand without one) by name and country; create only when both miss."""
    city = City.objects.filter(kind=City.Kind.CITY, geonames_id=row["geonames_id"]).first()
    if city is None:
        city = City.objects.filter(kind=City.Kind.CITY, name=row["name"], country=row["country"]).first()
    if city is None:
        # the slug the member lists would give it
        slug = slugify(row["name"])
        if City.objects.filter(slug=slug).exists():
            slug = slugify(f"{row['name']}-{row['country']}")
        city = City(slug=slug, kind=City.Kind.CITY, **row)
        status = "created"
    else:
        gaps = [group for group in CITY_FILL_GROUPS if getattr(city, group[0]) in (None, "")]
        if not gaps:
            return city, "unchanged"
        for group in gaps:
            for name in group:
                setattr(city, name, row[name])
        status = "updated"
    city.full_clean()
    city.save()
    return city, status


def _add_missing(relation, wanted: list) -> bool:
    """Add the wanted rows a many-to-many lacks (never removes any); True if it added one."""
    missing = set(wanted) - set(relation.all())
    relation.add(*missing)
    return bool(missing)


def _date(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


@transaction.atomic
def study_load(*, path: Path = STUDY_PATH) -> Counts:
    """Upsert the study's sources, cities, networks, codebook, codings and observations.

    Returns {model name: {"created": n, "updated": n, "unchanged": n}} for City, Source,
    Theme, Network, SubNetwork, CodebookVersion, Code, Coder, Coding, Evidence,
    EngagementObservation and Participation. A ValidationError from any row rolls
    the whole load back.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    counts: Counts = {model.__name__: {"created": 0, "updated": 0, "unchanged": 0} for model in MODELS}

    def upsert(model: type[models.Model], lookup: dict, values: dict) -> models.Model:
        instance, status = _upsert(model, lookup, values)
        counts[model.__name__][status] += 1
        return instance

    sources: dict[str, Source] = {}
    for row in data["sources"]:
        values = {name: value for name, value in row.items() if name != "key"}
        values["part_of"] = sources[row["part_of"]] if row["part_of"] else None
        # An interview is the study's interview number so-and-so, whatever its citation
        # says, so correcting a citation updates the interview instead of colliding with it.
        if row["interview_number"]:
            lookup = {name: values.pop(name) for name in ("part_of", "interview_number")}
        else:
            lookup = {"citation": values.pop("citation")}
        sources[row["key"]] = upsert(Source, lookup, values)

    cities: dict[int, City] = {}
    for row in data["cities"]:
        city, status = _city_upsert(row)
        counts["City"][status] += 1
        cities[row["geonames_id"]] = city

    themes = {row["slug"]: upsert(Theme, {"slug": row["slug"]}, {"name": row["name"]}) for row in data["themes"]}

    networks: dict[str, Network] = {}
    subnetworks: dict[tuple[str, str], SubNetwork] = {}
    for row in data["networks"]:
        not_fields = {"slug", "themes", "headquarters", "regional_offices", "member_count_source", "subnetworks"}
        values = {name: value for name, value in row.items() if name not in not_fields}
        values["reported_member_count_as_of"] = _date(row["reported_member_count_as_of"])
        values["headquarters"] = cities[row["headquarters"]] if row["headquarters"] else None
        values["member_count_source"] = sources[row["member_count_source"]] if row["member_count_source"] else None
        network, status = _upsert(Network, {"slug": row["slug"]}, values)
        added_themes = _add_missing(network.themes, [themes[slug] for slug in row["themes"]])
        added_offices = _add_missing(
            network.regional_offices, [cities[geonames_id] for geonames_id in row["regional_offices"]]
        )
        if status == "unchanged" and (added_themes or added_offices):
            status = "updated"
        counts["Network"][status] += 1
        networks[network.slug] = network

        for sub in row["subnetworks"]:
            values = {name: value for name, value in sub.items() if name not in ("slug", "source")}
            values["source"] = sources[sub["source"]] if sub["source"] else None
            lookup = {"network": network, "slug": sub["slug"]}
            subnetworks[(network.slug, sub["slug"])] = upsert(SubNetwork, lookup, values)

    codebook = data["codebook"]
    version_values = {
        "released": _date(codebook["released"]),
        "description": codebook["description"],
        "based_on": sources[codebook["based_on"]],
    }
    # Which version is current is an editor's choice once the codebook moves on, so
    # the file only makes its version current when it creates the first one.
    if not CodebookVersion.objects.filter(label=codebook["label"]).exists():
        version_values["is_current"] = (
            codebook["is_current"] and not CodebookVersion.objects.filter(is_current=True).exists()
        )
    version = upsert(CodebookVersion, {"label": codebook["label"]}, version_values)
    codes = {
        row["code"]: upsert(
            Code,
            {"version": version, "code": row["code"]},
            {name: value for name, value in row.items() if name != "code"},
        )
        for row in codebook["codes"]
    }

    coder = upsert(Coder, {"name": data["coder"]["name"]}, {"description": data["coder"]["description"]})

    for row in data["codings"]:
        lookup = {
            "city": cities[row["city"]] if row["city"] else None,
            "network": networks[row["network"]],
            "code": codes[row["code"]],
            "perspective": row["perspective"],
            "coder": coder,
        }
        values = {"salience": row["salience"], "outcome": row["outcome"], "note": row["note"]}
        coding = upsert(Coding, lookup, values)
        for position, item in enumerate(row["evidence"]):
            lookup = {"coding": coding, "source": sources[item["source"]], "text": item["text"]}
            values = {name: item[name] for name in ("locator", "kind", "original_text", "language")}
            upsert(Evidence, lookup, {**values, "position": position})

    for row in data["engagement"]:
        lookup = {
            "city": cities[row["city"]],
            "network": networks[row["network"]],
            "observed_on": _date(row["observed_on"]),
            "source": sources[row["source"]],
        }
        values = {name: row[name] for name in ("observed_precision", "approximate", "level", "is_peak", "note")}
        upsert(EngagementObservation, lookup, {**values, "locator": row["locator"]})

    for row in data["participations"]:
        network = networks[row["network"]]
        lookup = {
            "city": cities[row["city"]],
            "network": network,
            "subnetwork": subnetworks[(network.slug, row["subnetwork"])] if row["subnetwork"] else None,
            "unit": row["unit"],
            "since": None,
        }
        values = {name: row[name] for name in ("unit_kind", "involvement", "note", "locator")}
        upsert(Participation, lookup, {**values, "source": sources[row["source"]]})

    return counts
