"""The REST API, version 1 (cities and networks apps), mounted at /api/v1/."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cities.api import CityViewSet
from networks import api

app_name = "api"

router = api.ApiRouter()
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
    path("matrix/", api.MatrixView.as_view(), name="matrix"),
    path("agreement/", api.AgreementView.as_view(), name="agreement"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", api.OfflineRedocView.as_view(url_name="api:schema"), name="redoc"),
    *router.urls,
    # Ends with a slash, so CommonMiddleware still redirects /api/v1/cities to /api/v1/cities/.
    re_path(r"^[\s\S]*/$", api.not_found),
]
