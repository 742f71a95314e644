"""Where releases are written, and their files: deterministic zips and checksums."""

import hashlib
import io
import os
import re
import zipfile
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
