"""Import of coded REFI-QDA projects (.qdpx, or a bare project.qde) from NVivo, ATLAS.ti,
MAXQDA, QualCoder or Citynet itself into codings with evidence.

Three steps, one module each: `reading` (the archive and XML, safely, checked against the
REFI-QDA Project schema; no database), `mapping` (what the project's codes, users, cases
and sources become, proposed from the database and the editor's remembered choices; no
writes) and `writing` (the import, one transaction). README "Bringing a coded project in"
says what maps to what and what Citynet cannot carry.
"""

from networks.models import ProjectImportMapping
from networks.research.qdpx_import.mapping import Choices
from networks.research.qdpx_import.mapping import Plan
from networks.research.qdpx_import.mapping import propose
from networks.research.qdpx_import.reading import LIMITS
from networks.research.qdpx_import.reading import Project
from networks.research.qdpx_import.reading import ProjectRefused
from networks.research.qdpx_import.reading import read_upload
from networks.research.qdpx_import.writing import ImportRefused
from networks.research.qdpx_import.writing import project_import


def remembered_choices(project: Project) -> Choices:
    """The choices the editor made at the last import of this project, or none."""
    remembered = ProjectImportMapping.objects.filter(key=project.key).first()
    return Choices.from_json(remembered.choices if remembered else None)


__all__ = [
    "LIMITS",
    "Choices",
    "ImportRefused",
    "Plan",
    "Project",
    "ProjectRefused",
    "project_import",
    "propose",
    "read_upload",
    "remembered_choices",
]
