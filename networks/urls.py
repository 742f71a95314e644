from django.urls import path

from networks import views

app_name = "networks"

urlpatterns = [
    path("", views.home, name="home"),
    path("networks/", views.network_list, name="network_list"),
    path("networks/<slug:slug>/", views.network_detail, name="network_detail"),
]
