"""Building a release bundle and listing the releases on disk."""

import datetime
import json
from pathlib import Path

from networks.models import Source
from networks.research.releases.files import LABEL_PATTERN
from networks.research.releases.files import deterministic_zip
from networks.research.releases.files import releases_dir
from networks.research.releases.files import sha256
from networks.research.releases.package import ReleaseContents
from networks.research.releases.package import datapackage
from networks.research.releases.package import package_name
from networks.research.releases.package import readme
from networks.research.releases.tables import release_tables
from networks.research.releases.tables import table_csv


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

    tables = release_tables()
    contents: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    for table in tables:
        contents[f"data/{table.name}.csv"], counts[table.name] = table_csv(table, table.rows())
    files = {path: {"sha256": sha256(content), "bytes": len(content)} for path, content in contents.items()}
    study_sources = list(
        Source.objects.filter(kind=Source.Kind.STUDY).order_by("pk").values_list("citation", flat=True)
    )

    release = ReleaseContents(
        label=label,
        released=released,
        tables=tables,
        files=files,
        counts=counts,
        study_sources=study_sources,
        license=license,
        url=url,
    )
    descriptor = datapackage(release)
    contents["datapackage.json"] = (json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    contents["README.md"] = readme(release).encode("utf-8")
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
