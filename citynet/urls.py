from django.contrib import admin
from django.urls import include
from django.urls import path

urlpatterns = [
    # /healthz and /healthz/live, for load balancers (citynet/health.py).
    path("", include("citynet.health")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("networks.api.urls")),
    path("cities/", include("cities.urls")),
    path("", include("networks.urls")),
]

# The error page shows the request id to quote (citynet/logs.py).
handler500 = "citynet.logs.server_error"
