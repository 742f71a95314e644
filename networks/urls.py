from django.urls import path

from networks import views

app_name = "networks"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("networks/", views.network_list, name="network_list"),
    path("networks/<slug:slug>/", views.network_detail, name="network_detail"),
    path("compare/", views.compare, name="compare"),
    path("compare/cities/", views.compare_cities, name="compare_cities"),
    path("logics/", views.logics, name="logics"),
    path("graph/", views.graph, name="graph"),
    path("map/", views.member_map, name="map"),
]
