"""A release's Frictionless data package descriptor, its README and how to cite it (APA, BibTeX)."""

import datetime
import re
from dataclasses import dataclass

from networks.research.releases.files import AUTHOR
from networks.research.releases.files import GEONAMES_LICENSE
from networks.research.releases.files import GEONAMES_SOURCE
from networks.research.releases.files import TITLE
from networks.research.releases.tables import Column
from networks.research.releases.tables import Table

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


@dataclass(frozen=True)
class ReleaseContents:
    """What a release's descriptor and README describe: its label and date, its tables with
    their row counts, its files with their checksums, the studies it draws on, its licence
    (Frictionless form, or None while unset) and the address it is downloaded from."""

    label: str
    released: datetime.date
    tables: list[Table]
    files: dict[str, dict]
    counts: dict[str, int]
    study_sources: list[str]
    license: dict | None = None
    url: str = ""


def datapackage(release: ReleaseContents) -> dict:
    """The Frictionless tabular data package descriptor of a release."""
    label, released, tables, files = release.label, release.released, release.tables, release.files
    counts, study_sources, license = release.counts, release.study_sources, release.license
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


def readme(release: ReleaseContents) -> str:
    """The release's README.md."""
    label, released, tables, files = release.label, release.released, release.tables, release.files
    counts, study_sources, license, url = release.counts, release.study_sources, release.license, release.url
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
