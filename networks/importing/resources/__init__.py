"""Admin import and export of networks, memberships and codings with their evidence.

The rules every import follows (whole-file check, one transaction, history, natural
keys, only the file's columns written) are in citynet/importing.py. A membership file
has the columns of the shipped member lists (fixtures/memberships/), so
100rc_members.csv imports as it is into the network chosen on the import form."""

from networks.importing.resources.codings import CODING_FIELDS
from networks.importing.resources.codings import EVIDENCE_COLUMNS
from networks.importing.resources.codings import CodingResource
from networks.importing.resources.common import LIST_SEPARATOR
from networks.importing.resources.common import SourceIndex
from networks.importing.resources.common import chunks
from networks.importing.resources.common import read_partial_date
from networks.importing.resources.memberships import MembershipResource
from networks.importing.resources.memberships import read_membership_type
from networks.importing.resources.networks import NetworkResource

__all__ = [
    "CODING_FIELDS",
    "CodingResource",
    "EVIDENCE_COLUMNS",
    "LIST_SEPARATOR",
    "MembershipResource",
    "NetworkResource",
    "SourceIndex",
    "chunks",
    "read_membership_type",
    "read_partial_date",
]
