"""The REST API, version 1 (cities and networks apps), mounted at /api/v1/."""

app_name = "api"

urlpatterns: list = []
