"""Serializers of the REST API (v1): its resources and their writes (the aggregates' shapes: `shapes`).

Related objects are named by their natural key (city and network slugs, code, coder name)
and come with their display names (`city_name`, `network_name`), all read through
`select_related`, so a serializer never queries. Every write runs the model's
`full_clean()`, because DRF never runs a model's CheckConstraints or `clean()`."""

from networks.api.serializers.codings import SHOWN_TEXT_HELP
from networks.api.serializers.codings import CodeSerializer
from networks.api.serializers.codings import CodingSerializer
from networks.api.serializers.codings import EvidenceSerializer
from networks.api.serializers.codings import QuoteSerializer
from networks.api.serializers.codings import ReleaseSerializer
from networks.api.serializers.fields import DATE
from networks.api.serializers.fields import DATETIME
from networks.api.serializers.fields import CleanModelSerializer
from networks.api.serializers.fields import NaturalKeyField
from networks.api.serializers.fields import city_slug_field
from networks.api.serializers.fields import model_errors
from networks.api.serializers.fields import network_slug_field
from networks.api.serializers.fields import version_field
from networks.api.serializers.networks import EngagementObservationSerializer
from networks.api.serializers.networks import MembershipSerializer
from networks.api.serializers.networks import NetworkSerializer
from networks.api.serializers.networks import ParticipationSerializer
from networks.api.serializers.networks import SourceSerializer
from networks.api.serializers.networks import SubNetworkSerializer

__all__ = [
    "CleanModelSerializer",
    "CodeSerializer",
    "CodingSerializer",
    "DATE",
    "DATETIME",
    "EngagementObservationSerializer",
    "EvidenceSerializer",
    "MembershipSerializer",
    "NaturalKeyField",
    "NetworkSerializer",
    "ParticipationSerializer",
    "QuoteSerializer",
    "ReleaseSerializer",
    "SHOWN_TEXT_HELP",
    "SourceSerializer",
    "SubNetworkSerializer",
    "city_slug_field",
    "model_errors",
    "network_slug_field",
    "version_field",
]
