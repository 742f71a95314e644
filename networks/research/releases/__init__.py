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
the repository, because a release is kept for good once made."""

from networks.research.releases.build import build_release
from networks.research.releases.build import list_releases
from networks.research.releases.files import AUTHOR
from networks.research.releases.files import GEONAMES_LICENSE
from networks.research.releases.files import GEONAMES_SOURCE
from networks.research.releases.files import LABEL_PATTERN
from networks.research.releases.files import TITLE
from networks.research.releases.files import deterministic_zip
from networks.research.releases.files import releases_dir
from networks.research.releases.files import sha256
from networks.research.releases.package import citation_apa
from networks.research.releases.package import citation_bibtex
from networks.research.releases.package import datapackage
from networks.research.releases.package import package_name
from networks.research.releases.package import readme
from networks.research.releases.tables import Column
from networks.research.releases.tables import Table
from networks.research.releases.tables import col
from networks.research.releases.tables import csv_value
from networks.research.releases.tables import table_csv

__all__ = [
    "AUTHOR",
    "Column",
    "GEONAMES_LICENSE",
    "GEONAMES_SOURCE",
    "LABEL_PATTERN",
    "TITLE",
    "Table",
    "build_release",
    "citation_apa",
    "citation_bibtex",
    "col",
    "csv_value",
    "datapackage",
    "deterministic_zip",
    "list_releases",
    "package_name",
    "readme",
    "releases_dir",
    "sha256",
    "table_csv",
]
