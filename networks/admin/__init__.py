"""The networks app's admin, one module per concern; importing this package registers every
ModelAdmin (Django's admin autodiscovery imports it)."""

from networks.admin import codings  # noqa: F401
from networks.admin import networks  # noqa: F401
from networks.admin import qdpx_import  # noqa: F401
