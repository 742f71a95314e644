"""The networks app's models, one module per concern; import them from here.

`networks.dates` holds the partial dates the models store.
"""

from networks.models.codings import (
    PARAPHRASE_NEEDED,
    Code,
    CodebookVersion,
    CodeQuerySet,
    Coder,
    Coding,
    CodingQuerySet,
    Evidence,
    EvidenceQuerySet,
    masked_evidence,
)
from networks.models.memberships import (
    EngagementObservation,
    Membership,
    MembershipQuerySet,
    Participation,
    ParticipationQuerySet,
    iso_utc,
)
from networks.models.networks import Network, NetworkQuerySet, SubNetwork, Theme
from networks.models.releases import Release, ReleaseQuerySet
from networks.models.sources import Source, SourceQuerySet

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
