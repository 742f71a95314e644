"""Data releases: a named, dated, checksummed snapshot of Citynet's data that researchers
can cite, reproduce and load into their own tools.

A release bundle is a folder and a zip of the same files:

    citynet-<label>/
        data/<table>.csv     one per table, UTF-8, header row, LF line ends, rows by id
        datapackage.json     Frictionless tabular data package: every column's name, type
                             and description, primary and foreign keys, licences, sources
        README.md            what is in it, how to cite it (APA and BibTeX), licences
        SHA256SUMS           sha256 of every file above, in `sha256sum -c` format
    citynet-<label>.zip      those files under citynet-<label>/
    citynet-<label>.zip.sha256

Bundles are reproducible: the same data and the same label and date give byte-identical
files, zip included (rows by primary key, fixed column order, no wall-clock time anywhere
but the release date, zip entries sorted with the release date as their time stamp).

Where bundles go: the CITYNET_RELEASES_DIR setting, else the CITYNET_RELEASES_DIR
environment variable, else `$XDG_DATA_HOME/citynet/releases` (~/.local/share/...): outside
the repository, because a release is kept for good once made.
"""

import csv
import datetime
import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

LABEL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
GEONAMES_LICENSE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 International (GeoNames, www.geonames.org)",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
GEONAMES_SOURCE = {"title": "GeoNames geographical database", "path": "https://www.geonames.org/"}
AUTHOR = "Citynet contributors"
TITLE = "Citynet: cities in international city networks"


def releases_dir() -> Path:
    """Where release bundles are written and listed (see the module docstring)."""
    configured = getattr(settings, "CITYNET_RELEASES_DIR", None) or os.environ.get("CITYNET_RELEASES_DIR")
    if configured:
        return Path(configured)
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "citynet" / "releases"


def deterministic_zip(files: dict[str, bytes], *, date_time: tuple[int, int, int, int, int, int]) -> bytes:
    """Zip `files` ({name: content}) so the same input always gives the same bytes: entries
    sorted by name, one fixed time stamp, fixed permissions and creator system."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever system builds it
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- Tables ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    get: Callable
    constraints: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    rows: Callable[[], Iterable]
    columns: list[Column]
    foreign_keys: list[tuple[str, str]] = field(default_factory=list)  # (column, resource)
    geonames: bool = False
    from_study: bool = False


def _attr(name: str) -> Callable:
    def get(row):
        value = row
        for part in name.split("."):
            value = None if value is None else getattr(value, part)
        return value

    return get


def _choices(choices) -> dict:
    return {"enum": [value for value, _label in choices]}


def col(name: str, type_: str, description: str, get: Callable | str | None = None, **constraints) -> Column:
    return Column(name, type_, description, _attr(get or name) if not callable(get) else get, constraints)


def _id(name: str, description: str) -> Column:
    return col(name, "integer", description)


def _tables() -> list[Table]:
    # Imported here so that refi.py can import `deterministic_zip` without a cycle.
    from cities.models import City
    from networks.models import (
        Code,
        Coding,
        DatePrecision,
        EngagementObservation,
        Evidence,
        Membership,
        Network,
        Participation,
        Source,
        SubNetwork,
    )

    precision = _choices(DatePrecision.choices)
    identifier = col("id", "integer", "Citynet's identifier of the row; other tables refer to it.", required=True)
    return [
        Table(
            "cities",
            "Member places",
            "Every member place of a city network: a city, a metropolitan or regional body, a grouping of "
            "cities or a district. Coordinates, populations and GeoNames ids come from GeoNames.",
            lambda: City.objects.order_by("pk"),
            [
                identifier,
                col("slug", "string", "Short unique name used in Citynet's addresses.", required=True, unique=True),
                col("name", "string", "Name of the place.", required=True),
                col("country", "string", "ISO 3166-1 alpha-2 country code.", required=True, pattern="^[A-Z]{2}$"),
                col("kind", "string", "city, metropolitan, grouping or district.", **_choices(City.Kind.choices)),
                col("latitude", "number", "WGS84 latitude in degrees (GeoNames).", minimum=-90, maximum=90),
                col("longitude", "number", "WGS84 longitude in degrees (GeoNames).", minimum=-180, maximum=180),
                col("coordinates_note", "string", "What the point stands for when the member is not one city."),
                col("population", "integer", "Population, indicative only (see population_source)."),
                col("population_source", "string", "Where the population figure comes from."),
                col("geonames_id", "integer", "GeoNames id of the place (for a body, its seat city's)."),
                col("geonames_name", "string", "Name of the matched GeoNames record."),
                col("geonames_note", "string", "How the GeoNames record was matched."),
                col("wikidata_id", "string", "Wikidata item, e.g. Q585."),
            ],
            geonames=True,
        ),
        Table(
            "networks",
            "City networks",
            "Transnational city networks and their facts as the sources report them.",
            lambda: (
                Network.objects.select_related("headquarters")
                .prefetch_related("themes", "regional_offices")
                .order_by("pk")
            ),
            [
                identifier,
                col("slug", "string", "Short unique name used in Citynet's addresses.", required=True, unique=True),
                col("name", "string", "Name of the network.", required=True),
                col("acronym", "string", "Acronym, e.g. 100RC."),
                col("description", "string", "What the network is and does."),
                col("website", "string", "The network's website.", format="uri"),
                col("scope", "string", "global, regional or national.", **_choices(Network.Scope.choices)),
                col("region", "string", "For a regional network, its region."),
                col("focus", "string", "general portfolio or specialised.", **_choices(Network.Focus.choices)),
                col(
                    "themes",
                    "string",
                    "Slugs of the network's themes, separated by '; '.",
                    lambda n: "; ".join(sorted(t.slug for t in n.themes.all())),
                ),
                col("founded", "integer", "Year founded."),
                col("ended", "integer", "Year ended, if it has."),
                col("successor", "string", "What took over when it ended."),
                _id("headquarters_id", "id of the head office's place in cities."),
                col(
                    "regional_office_ids",
                    "string",
                    "ids (in cities) of the regional offices' places, separated by '; '.",
                    lambda n: "; ".join(str(pk) for pk in sorted(c.pk for c in n.regional_offices.all())),
                ),
                col("funder", "string", "Funder or sponsor."),
                col("politically_led", "boolean", "Led by elected politicians of member cities; empty if unknown."),
                col("governance", "string", "How the network is governed."),
                col("membership_criteria", "string", "Who may join."),
                col("reported_member_count", "integer", "Member count the network reports.", minimum=0),
                col("reported_member_count_note", "string", "What the reported count covers."),
                col("reported_member_count_as_of", "date", "Date the reported count refers to."),
                _id("member_count_source_id", "id in sources of where the member count comes from."),
            ],
            foreign_keys=[("headquarters_id", "cities"), ("member_count_source_id", "sources")],
        ),
        Table(
            "memberships",
            "Membership spells",
            "One spell of a place's membership of a network; a place that leaves and rejoins has several. "
            "A start date is the first day of its period and an end date the last (see the precisions).",
            lambda: Membership.objects.order_by("pk"),
            [
                identifier,
                _id("city_id", "id of the member place in cities."),
                _id("network_id", "id of the network in networks."),
                col("type", "string", "Kind of membership.", **_choices(Membership.Type.choices)),
                col("joined", "date", "First day of the period the membership is known to start in."),
                col("joined_precision", "string", "How precisely joined is known.", **precision),
                col("left", "date", "Last day of the period the membership is known to end in; empty if current."),
                col("left_precision", "string", "How precisely left is known.", **precision),
                col("application_round", "integer", "Application round the place was admitted in."),
                col("took_effect", "boolean", "False when the place was admitted but the membership never started."),
                col("listed_on", "date", "Date on which the source lists the place as a member."),
                _id("source_id", "id in sources of where the spell is reported."),
                col("note", "string", "Editor's note."),
            ],
            foreign_keys=[("city_id", "cities"), ("network_id", "networks"), ("source_id", "sources")],
        ),
        Table(
            "subnetworks",
            "Sub-networks",
            "Parts of a network where work happens: forums, working groups, platforms, offices, projects.",
            lambda: SubNetwork.objects.order_by("pk"),
            [
                identifier,
                _id("network_id", "id of the network in networks."),
                _id("parent_id", "id of the sub-network this one belongs to, if any."),
                col("slug", "string", "Short name, unique within the network.", required=True),
                col("name", "string", "Name of the sub-network.", required=True),
                col("kind", "string", "Kind of sub-network.", **_choices(SubNetwork.Kind.choices)),
                col("permanent", "boolean", "Permanent (true) or temporary (false); empty if unknown."),
                col("description", "string", "What it does."),
                _id("source_id", "id in sources of where it is reported."),
            ],
            foreign_keys=[("network_id", "networks"), ("parent_id", "subnetworks"), ("source_id", "sources")],
        ),
        Table(
            "participations",
            "Participations",
            "Which unit of a city's administration takes part in a network or one of its sub-networks, and how much.",
            lambda: Participation.objects.order_by("pk"),
            [
                identifier,
                _id("city_id", "id of the place in cities."),
                _id("network_id", "id of the network in networks."),
                _id("subnetwork_id", "id of the sub-network in subnetworks; empty for the network as a whole."),
                col("unit", "string", "Department, body or role.", required=True),
                col("unit_kind", "string", "Kind of unit.", **_choices(Participation.UnitKind.choices)),
                col("involvement", "string", "How much it takes part.", **_choices(Participation.Involvement.choices)),
                col("since", "date", "Start (first day of its period)."),
                col("since_precision", "string", "How precisely since is known.", **precision),
                col("until", "date", "End (last day of its period)."),
                col("until_precision", "string", "How precisely until is known.", **precision),
                col("note", "string", "Editor's note."),
                _id("source_id", "id in sources of where it is reported."),
                col("locator", "string", "Page or interview in the source."),
            ],
            foreign_keys=[
                ("city_id", "cities"),
                ("network_id", "networks"),
                ("subnetwork_id", "subnetworks"),
                ("source_id", "sources"),
            ],
            from_study=True,
        ),
        Table(
            "codes",
            "Codebook",
            "The codes applied to a city's use of a network: network functions and logics of participation, "
            "by codebook version.",
            lambda: Code.objects.select_related("version").order_by("pk"),
            [
                identifier,
                col("version", "string", "Label of the codebook version.", "version.label", required=True),
                col("version_is_current", "boolean", "Whether that version is the current one.", "version.is_current"),
                col("code", "string", "Short name of the code, unique within its version.", required=True),
                col("name", "string", "Name of the code.", required=True),
                col("kind", "string", "function or logic.", **_choices(Code.Kind.choices)),
                col("position", "integer", "Order within its kind.", minimum=0),
                col("definition", "string", "What the code means.", required=True),
                col("when_to_use", "string", "Coding guidance: when to apply it."),
                col("when_not_to_use", "string", "Coding guidance: when not to."),
                col("example", "string", "An example."),
            ],
        ),
        Table(
            "sources",
            "Sources",
            "Where facts and codes come from: the study, its interviews, documents, web pages, member lists.",
            lambda: Source.objects.order_by("pk"),
            [
                identifier,
                col("kind", "string", "Kind of source.", **_choices(Source.Kind.choices)),
                col("label", "string", "Short form used in citations, e.g. 'Interview 1, 2018'."),
                col("citation", "string", "Full citation.", required=True, unique=True),
                col("url", "string", "Address, if any.", format="uri"),
                col("year", "integer", "Year of the source."),
                _id("part_of_id", "For an interview: id of the study that reports it."),
                col("interview_number", "integer", "Number of the interview in its study."),
                col("organisation", "string", "For an interview: the city or network interviewed."),
                col("informant_role", "string", "For an interview: the informant's role."),
            ],
            foreign_keys=[("part_of_id", "sources")],
        ),
        Table(
            "codings",
            "Codings",
            "A code applied to a city's use of a network, or (city_id empty) to what a network as a whole says "
            "it offers. Salience: 3 central, 2 important, 1 minor, 0 explicitly not important.",
            lambda: Coding.objects.select_related("coder").order_by("pk"),
            [
                identifier,
                _id("city_id", "id of the place in cities; empty for the network as a whole."),
                _id("network_id", "id of the network in networks."),
                _id("code_id", "id of the code in codes."),
                col("salience", "integer", "How strongly the informants stress it, 0-3.", minimum=0, maximum=3),
                col(
                    "outcome",
                    "string",
                    "Whether the city says it gets it; empty where it does not apply.",
                    **_choices(Coding.Outcome.choices),
                ),
                col("perspective", "string", "Whose view is coded.", **_choices(Coding.Perspective.choices)),
                col("coder", "string", "Who assigned the code (a person or a named seed coding).", "coder.name"),
                col("coded_at", "datetime", "When it was coded (UTC, to the second)."),
                col("note", "string", "Coder's note."),
            ],
            foreign_keys=[("city_id", "cities"), ("network_id", "networks"), ("code_id", "codes")],
            from_study=True,
        ),
        Table(
            "evidence",
            "Evidence",
            "The passages a coding rests on: quotes and paraphrases with their source and page. A release "
            "is public: paraphrase-only evidence gives its public paraphrase, restricted evidence (e.g. a "
            "confidential interview) only its kind and source, so every coding keeps its count of evidence.",
            # As the public sees it (networks.visibility): the verbatim text of non-public evidence is never read.
            lambda: Evidence.objects.for_reader(None).order_by("pk"),
            [
                identifier,
                _id("coding_id", "id of the coding in codings."),
                _id("source_id", "id of the source in sources."),
                col("position", "integer", "Order among the coding's evidence.", minimum=0),
                col(
                    "locator",
                    "string",
                    "Page, section or time in the source, e.g. 'p. 72'; empty for restricted evidence.",
                    "shown_locator",
                ),
                col("kind", "string", "quote or paraphrase.", "shown_kind", **_choices(Evidence.Kind.choices)),
                col(
                    "visibility",
                    "string",
                    "public (a public quote), paraphrase (paraphrase only) or restricted.",
                    **_choices(Evidence.Visibility.choices),
                ),
                col(
                    "text",
                    "string",
                    "The passage (in English); the public paraphrase of paraphrase-only evidence; empty for "
                    "restricted evidence.",
                    "shown_text",
                ),
                col(
                    "original_text",
                    "string",
                    "The passage in the source's own language; empty unless the evidence is public.",
                    "shown_original_text",
                ),
                col("language", "string", "Language of the original text, e.g. da."),
            ],
            foreign_keys=[("coding_id", "codings"), ("source_id", "sources")],
            from_study=True,
        ),
        Table(
            "engagement_observations",
            "Engagement observations",
            "How engaged a city was in a network at a date, as a source reports it (0 none to 3 high).",
            lambda: EngagementObservation.objects.order_by("pk"),
            [
                identifier,
                _id("city_id", "id of the place in cities."),
                _id("network_id", "id of the network in networks."),
                col("observed_on", "date", "Date observed (first day of its period).", required=True),
                col("observed_precision", "string", "How precisely observed_on is known.", **precision),
                col("approximate", "boolean", "The source says 'about' or 'around'."),
                col("level", "integer", "0 none, 1 low, 2 moderate, 3 high.", minimum=0, maximum=3),
                col("is_peak", "boolean", "The source calls this the peak."),
                col("note", "string", "Editor's note."),
                _id("source_id", "id in sources of where it is reported."),
                col("locator", "string", "Page or interview in the source."),
            ],
            foreign_keys=[("city_id", "cities"), ("network_id", "networks"), ("source_id", "sources")],
            from_study=True,
        ),
    ]


def csv_value(value) -> str:
    """One cell as the data package declares it: empty for missing, true/false, ISO dates,
    UTC date-times to the second."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def table_csv(table: Table, rows: Iterable) -> tuple[bytes, int]:
    """The table as CSV bytes (header row, LF line ends) and its number of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.name for column in table.columns])
    count = 0
    for row in rows:
        writer.writerow([csv_value(column.get(row)) for column in table.columns])
        count += 1
    return buffer.getvalue().encode("utf-8"), count


# --- Descriptor and README ---------------------------------------------------------------


def package_name(label: str) -> str:
    return re.sub(r"[^a-z0-9._-]", "-", f"citynet-{label}".lower())


def _field(column: Column) -> dict:
    descriptor = {"name": column.name, "type": column.type, "description": column.description}
    constraints = {name: value for name, value in column.constraints.items() if name != "format"}
    if "format" in column.constraints:
        descriptor["format"] = column.constraints["format"]
    if constraints:
        descriptor["constraints"] = constraints
    return descriptor


def datapackage(
    *,
    label: str,
    released: datetime.date,
    tables: list[Table],
    files: dict[str, dict],
    counts: dict[str, int],
    study_sources: list[str],
    license: dict | None = None,
) -> dict:
    """The Frictionless tabular data package descriptor of a release."""
    study = [{"title": citation} for citation in study_sources]
    resources = []
    for table in tables:
        path = f"data/{table.name}.csv"
        resource = {
            "profile": "tabular-data-resource",
            "name": table.name,
            "path": path,
            "title": table.title,
            "description": table.description,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "bytes": files[path]["bytes"],
            "hash": f"sha256:{files[path]['sha256']}",
            "dialect": {
                "delimiter": ",",
                "lineTerminator": "\n",
                "quoteChar": '"',
                "doubleQuote": True,
                "header": True,
            },
            "schema": {
                "fields": [_field(column) for column in table.columns],
                "missingValues": [""],
                "primaryKey": ["id"],
            },
        }
        if table.foreign_keys:
            resource["schema"]["foreignKeys"] = [
                {
                    "fields": [column],
                    # Frictionless writes a reference to the same table as an empty resource name.
                    "reference": {"resource": "" if target == table.name else target, "fields": ["id"]},
                }
                for column, target in table.foreign_keys
            ]
        if table.geonames:
            resource["licenses"] = [GEONAMES_LICENSE]
            resource["sources"] = [GEONAMES_SOURCE]
        if table.from_study and study:
            resource["sources"] = study
        resources.append(resource)
    descriptor = {
        "profile": "tabular-data-package",
        "name": package_name(label),
        "title": f"{TITLE}, release {label}",
        "description": (
            "Cities' memberships of international city networks, the networks' sub-networks, and coded "
            "network functions and logics of participation with the evidence behind each code. See README.md."
        ),
        "version": label,
        "created": f"{released.isoformat()}T00:00:00Z",
        "contributors": [{"title": AUTHOR, "role": "author"}],
        "sources": [*study, GEONAMES_SOURCE],
    }
    if license:
        descriptor["licenses"] = [license]
    descriptor["resources"] = resources
    descriptor["citynet"] = {"label": label, "released": released.isoformat(), "counts": counts}
    return descriptor


def citation_apa(label: str, released: datetime.date, url: str = "") -> str:
    return f"{AUTHOR}. ({released.year}). *{TITLE}* (Release {label}) [Data set].{f' {url}' if url else ''}"


def citation_bibtex(label: str, released: datetime.date, url: str = "") -> str:
    key = re.sub(r"[^A-Za-z0-9]", "_", f"citynet_{label}")
    lines = [
        f"@misc{{{key},",
        f"  author = {{{{{AUTHOR}}}}},",
        f"  title = {{{{{TITLE}}}}},",
        f"  year = {{{released.year}}},",
        f"  version = {{{label}}},",
        f"  note = {{Data set, release {label} of {released.isoformat()}}},",
    ]
    if url:
        lines.append(f"  howpublished = {{\\url{{{url}}}}},")
    return "\n".join([*lines, "}"])


def readme(
    *,
    label: str,
    released: datetime.date,
    tables: list[Table],
    counts: dict[str, int],
    files: dict[str, dict],
    study_sources: list[str],
    license: dict | None = None,
    url: str = "",
) -> str:
    """The release's README.md."""
    table_rows = "\n".join(
        f"| `{path}` | {table.title} | {counts[table.name]} | `{files[path]['sha256']}` |"
        for table, path in ((table, f"data/{table.name}.csv") for table in tables)
    )
    studies = "\n".join(f"- {citation}" for citation in study_sources) or "- (none recorded)"
    own_license = (
        f"[{license.get('title') or license.get('name')}]({license['path']})"
        if license and license.get("path")
        else (license or {}).get("title") or (license or {}).get("name") or "not yet set by Citynet's maintainers"
    )
    return f"""# {TITLE} — release {label}

Released {released.isoformat()}. A frozen snapshot of Citynet's data: one CSV file per table,
described column by column in `datapackage.json` (a Frictionless tabular data package:
https://specs.frictionlessdata.io/). Check the files with `sha256sum -c SHA256SUMS`.

| file | table | rows | sha256 |
| --- | --- | ---: | --- |
{table_rows}

Tables refer to each other by the `id` column; `datapackage.json` lists every foreign key.
Empty cells are missing values. Dates known only to the year or month store the first day of
their period as a start and the last day as an end, with a `*_precision` column.

## How to cite

APA:

> {citation_apa(label, released, url)}

BibTeX:

```bibtex
{citation_bibtex(label, released, url)}
```

The codings, their evidence, participations and engagement observations are Citynet's seed
coding of the study below. The salience and outcome figures are Citynet's reading, not the
authors' own coding (the study gives no numbers); quotations and paraphrases are the
authors' and their informants'. Cite the study as well when you use them:

{studies}

## Licences

- Place data in `cities.csv` (coordinates, populations, GeoNames ids and names) come from
  GeoNames (https://www.geonames.org/) under the Creative Commons Attribution 4.0
  International licence (https://creativecommons.org/licenses/by/4.0/): credit GeoNames.
- Passages in `evidence.csv` are quoted from or paraphrase the sources in `sources.csv`;
  their rights stay with those sources' authors. Cite them as above. Where a source may not
  be quoted (`visibility` paraphrase) the passage is its public paraphrase; restricted
  evidence (e.g. a confidential interview) is listed without its text or locator.
- Citynet's own compilation (the tables as a whole): {own_license}.
"""


# --- Building and listing ----------------------------------------------------------------


def build_release(
    *,
    label: str,
    released: datetime.date,
    directory: Path | None = None,
    license: dict | None = None,
    url: str = "",
) -> dict:
    """Write release `label` of the database's current data into `directory` (default
    `releases_dir()`): the folder `citynet-<label>/`, `citynet-<label>.zip` and its
    `.sha256`. Refuses a label that exists already: a release, once made, stays as it is.

    Returns {"label", "released" (ISO date), "directory", "zip" (paths as strings),
    "zip_sha256", "counts": {table: rows}, "files": {path in bundle: {"sha256", "bytes"}}}.
    """
    if not LABEL_PATTERN.match(label):
        raise ValueError("A release label is letters, digits, '.', '_' or '-' (at most 64), e.g. 2025.1.")
    directory = Path(directory) if directory is not None else releases_dir()
    name = package_name(label)
    folder, zip_path = directory / name, directory / f"{name}.zip"
    if folder.exists() or zip_path.exists():
        raise FileExistsError(f"Release {label} exists already in {directory}.")

    from networks.models import Source

    tables = _tables()
    contents: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    for table in tables:
        contents[f"data/{table.name}.csv"], counts[table.name] = table_csv(table, table.rows())
    files = {path: {"sha256": sha256(content), "bytes": len(content)} for path, content in contents.items()}
    study_sources = list(
        Source.objects.filter(kind=Source.Kind.STUDY).order_by("pk").values_list("citation", flat=True)
    )

    descriptor = datapackage(
        label=label,
        released=released,
        tables=tables,
        files=files,
        counts=counts,
        study_sources=study_sources,
        license=license,
    )
    contents["datapackage.json"] = (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    contents["README.md"] = readme(
        label=label,
        released=released,
        tables=tables,
        counts=counts,
        files=files,
        study_sources=study_sources,
        license=license,
        url=url,
    ).encode("utf-8")
    for path in ("datapackage.json", "README.md"):
        files[path] = {"sha256": sha256(contents[path]), "bytes": len(contents[path])}
    contents["SHA256SUMS"] = "".join(f"{files[path]['sha256']}  {path}\n" for path in sorted(files)).encode("utf-8")

    archive = deterministic_zip(
        {f"{name}/{path}": content for path, content in contents.items()},
        date_time=(released.year, released.month, released.day, 0, 0, 0),
    )
    for path, content in contents.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(content)
    zip_path.write_bytes(archive)
    zip_sha256 = sha256(archive)
    zip_path.with_name(f"{zip_path.name}.sha256").write_text(f"{zip_sha256}  {zip_path.name}\n", encoding="utf-8")
    return {
        "label": label,
        "released": released.isoformat(),
        "directory": str(folder),
        "zip": str(zip_path),
        "zip_sha256": zip_sha256,
        "counts": counts,
        "files": files,
    }


def list_releases(directory: Path | None = None) -> list[dict]:
    """The releases in `directory` (default `releases_dir()`), newest first: [{"label",
    "released", "counts", "directory", "zip" (or None), "zip_sha256" (or None), "zip_bytes"
    (or None)}], read from each bundle's datapackage.json."""
    directory = Path(directory) if directory is not None else releases_dir()
    if not directory.is_dir():
        return []
    found = []
    for descriptor_path in sorted(directory.glob("citynet-*/datapackage.json")):
        meta = json.loads(descriptor_path.read_text(encoding="utf-8")).get("citynet", {})
        folder = descriptor_path.parent
        zip_path = directory / f"{folder.name}.zip"
        checksum = zip_path.with_name(f"{zip_path.name}.sha256")
        found.append(
            {
                "label": meta.get("label", folder.name),
                "released": meta.get("released", ""),
                "counts": meta.get("counts", {}),
                "directory": str(folder),
                "zip": str(zip_path) if zip_path.exists() else None,
                "zip_sha256": checksum.read_text(encoding="utf-8").split()[0] if checksum.exists() else None,
                "zip_bytes": zip_path.stat().st_size if zip_path.exists() else None,
            }
        )
    return sorted(found, key=lambda release: (release["released"], release["label"]), reverse=True)
