from django.contrib import admin
from django.urls import include
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("networks.api.urls")),
    path("cities/", include("cities.urls")),
    path("", include("networks.urls")),
]
