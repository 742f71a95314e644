"""The networks app's models, one module per concern; import them from here.

`networks.dates` holds the partial dates the models store.
"""

from networks.models.codings import PARAPHRASE_NEEDED
from networks.models.codings import Code
from networks.models.codings import CodebookVersion
from networks.models.codings import CodeQuerySet
from networks.models.codings import Coder
from networks.models.codings import Coding
from networks.models.codings import CodingQuerySet
from networks.models.codings import Evidence
from networks.models.codings import EvidenceQuerySet
from networks.models.codings import masked_evidence
from networks.models.imports import ProjectImportMapping
from networks.models.memberships import EngagementObservation
from networks.models.memberships import Membership
from networks.models.memberships import MembershipQuerySet
from networks.models.memberships import Participation
from networks.models.memberships import ParticipationQuerySet
from networks.models.memberships import iso_utc
from networks.models.networks import Network
from networks.models.networks import NetworkQuerySet
from networks.models.networks import SubNetwork
from networks.models.networks import Theme
from networks.models.releases import Release
from networks.models.releases import ReleaseQuerySet
from networks.models.sources import Source
from networks.models.sources import SourceQuerySet

__all__ = [
    "PARAPHRASE_NEEDED",
    "Code",
    "CodebookVersion",
    "CodeQuerySet",
    "Coder",
    "Coding",
    "CodingQuerySet",
    "EngagementObservation",
    "Evidence",
    "EvidenceQuerySet",
    "Membership",
    "MembershipQuerySet",
    "Network",
    "NetworkQuerySet",
    "Participation",
    "ProjectImportMapping",
    "ParticipationQuerySet",
    "Release",
    "ReleaseQuerySet",
    "Source",
    "SourceQuerySet",
    "SubNetwork",
    "Theme",
    "iso_utc",
    "masked_evidence",
]
