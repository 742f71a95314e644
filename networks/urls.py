from django.urls import path

from networks import views

app_name = "networks"

urlpatterns = [
    path("", views.home, name="home"),
    # Browsers and crawlers ask for /favicon.ico whatever the page links; send them to ours.
    path("favicon.ico", views.favicon, name="favicon"),
    path("search/", views.search, name="search"),
    path("networks/", views.network_list, name="network_list"),
    # Before the network pages, whose addresses would otherwise take these two.
    path("networks/overlap/", views.overlap_page, name="overlap"),
    path("networks/timeline/", views.timeline_page, name="timeline"),
    path("networks/<slug:slug>/", views.network_detail, name="network_detail"),
    path("networks/<slug:slug>/offer-evidence/", views.network_offer_evidence, name="network_offer_evidence"),
    path("networks/<slug:slug>/members-map.json", views.network_members_map, name="network_members_map"),
    path("compare/", views.compare, name="compare"),
    path("compare/cities/", views.compare_cities, name="compare_cities"),
    path("logics/", views.logics, name="logics"),
    path("graph/", views.graph, name="graph"),
    path("map/", views.member_map, name="map"),
    path("quotes/", views.quotes, name="quotes"),
    path("agreement/", views.agreement_page, name="agreement"),
    path("releases/", views.release_list, name="release_list"),
    path("releases/<str:label>/download/", views.release_download, name="release_download"),
    path("export/codebook.qdc", views.codebook_download, name="codebook_qdc"),
    path("export/project.qdpx", views.project_download, name="project_qdpx"),
]
