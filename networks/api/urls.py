"""The REST API, version 1 (cities and networks apps), mounted at /api/v1/."""

from __future__ import annotations

from django.urls import path
from django.urls import re_path
from drf_spectacular.views import SpectacularAPIView
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework import permissions
from rest_framework.routers import APIRootView
from rest_framework.routers import DefaultRouter

from cities.api import CityViewSet
from citynet.api import OfflineRedocView
from citynet.api import not_found
from networks.api import viewsets as api
from networks.api.matrix import AgreementView
from networks.api.matrix import MatrixView


class ApiRootView(APIRootView):
    """Citynet API v1. Reads are open; writes need a staff account. Add `?format=csv` to any
    list or aggregate for a complete CSV download. The OpenAPI schema is at /api/v1/schema/,
    with interactive documentation at /api/v1/docs/ and /api/v1/redoc/."""

    permission_classes = [permissions.AllowAny]


class ApiRouter(DefaultRouter):
    """A DefaultRouter whose browsable root is open to all and also links the aggregates and docs."""

    APIRootView = ApiRootView
    include_format_suffixes = False
    extra_links = {
        "matrix": "matrix",
        "agreement": "agreement",
        "schema": "schema",
        "docs": "docs",
        "redoc": "redoc",
    }

    def get_api_root_view(self, api_urls=None):
        links = {prefix: self.routes[0].name.format(basename=basename) for prefix, _, basename in self.registry}
        links.update(self.extra_links)
        return self.APIRootView.as_view(api_root_dict=links)


app_name = "api"

router = ApiRouter()
router.register("cities", CityViewSet, basename="city")
router.register("networks", api.NetworkViewSet, basename="network")
router.register("memberships", api.MembershipViewSet, basename="membership")
router.register("subnetworks", api.SubNetworkViewSet, basename="subnetwork")
router.register("participations", api.ParticipationViewSet, basename="participation")
router.register("codes", api.CodeViewSet, basename="code")
router.register("sources", api.SourceViewSet, basename="source")
router.register("codings", api.CodingViewSet, basename="coding")
router.register("engagement", api.EngagementObservationViewSet, basename="engagement")
router.register("evidence", api.EvidenceViewSet, basename="evidence")
router.register("releases", api.ReleaseViewSet, basename="release")

urlpatterns = [
    path("matrix/", MatrixView.as_view(), name="matrix"),
    path("agreement/", AgreementView.as_view(), name="agreement"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", OfflineRedocView.as_view(url_name="api:schema"), name="redoc"),
    *router.urls,
    # Ends with a slash, so CommonMiddleware still redirects /api/v1/cities to /api/v1/cities/.
    re_path(r"^[\s\S]*/$", not_found),
]
