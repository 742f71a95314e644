from django.core.paginator import Paginator
from django.http import Http404
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.shortcuts import render
from django.urls import reverse

from cities.models import City
from cities.models import PlaceRedirect
from citynet.caching import cache_while_unchanged
from networks import aggregates
from networks import charts
from networks import overlap
from networks.collector import collector_paused
from networks.models import Code
from networks.models import Network
from networks.pages import EVIDENCE_CODINGS_SHOWN
from networks.pages import csv_download
from networks.pages import csv_urls
from networks.pages import evidence_shown
from networks.pages import network_or_404
from networks.pages import row_codings
from networks.pages import search_text
from networks.pages import wants_csv
from networks.selectors import cities_for_list
from networks.selectors import cities_for_profile
from networks.selectors import cities_in_network
from networks.selectors import city_matrix
from networks.selectors import values_matrix
from networks.visibility import cache_for_public_readers

PORTFOLIO_FIELDS = ["network", "network_slug", "code", "code_kind", "salience", "served_by_several", "served_by_none"]
PLACE_FIELDS = ["name", "slug", "country", "kind", "population", "latitude", "longitude", "n_memberships"]
ENGAGEMENT_FIELDS = ["network", "network_slug", "date", "when", "level", "level_label", "peak", "approximate", "source"]


@cache_while_unchanged
def city_list(request):
    form = overlap.PlaceFiltersForm(request.GET)
    if not form.is_valid():
        return render(request, "cities/city_list.html", {"form": form, "page": None}, status=400)
    query = search_text(request)
    network = network_or_404(request.GET.get("network"))
    cities = overlap.filtered_places(form.cleaned_data)
    cities = cities.matching(query) if query else cities
    if network is not None:
        cities = cities_in_network(cities, network)
    if wants_csv(request):
        return csv_download(
            request, {"places": (cities_for_list(cities).values(*PLACE_FIELDS), PLACE_FIELDS)}, "places"
        )
    page = Paginator(cities_for_list(cities), 100).get_page(request.GET.get("page"))
    # The other parameters, kept in the links to other pages.
    kept = request.GET.copy()
    kept.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "network": network,
        "filtered": any(form.cleaned_data.values()),
        "page_query": kept.urlencode(),
        "csv_urls": csv_urls(request, "places"),
    }
    return render(request, "cities/city_list.html", context)


def merged_place_redirect(request, slug: str, view: str, *args: str) -> HttpResponsePermanentRedirect:
    """The permanent redirect from a place merged into another to the survivor's page `view`
    (its slug, then `args`), with the query kept; 404 for a slug no place ever had."""
    survivor = PlaceRedirect.objects.target(slug)
    if survivor is None:
        raise Http404("No place has this address.")
    query = request.META.get("QUERY_STRING", "")
    address = reverse(view, args=[survivor.slug, *args])
    return HttpResponsePermanentRedirect(address + (f"?{query}" if query else ""))


@cache_for_public_readers
@collector_paused()
def city_detail(request, slug):
    city = cities_for_profile().filter(slug=slug).first()
    if city is None:
        # A place merged into another: its permalink leads there for good.
        return merged_place_redirect(request, slug, "cities:city_detail")
    codes = list(Code.objects.current())
    # The best-coded place has 1,000 codings: the page shows the evidence of its first networks
    # (EVIDENCE_CODINGS_SHOWN codings), each other network's evidence is a page of its own,
    # which the portfolio's cells open in the evidence panel.
    matrix, codings = city_matrix(city, codes, request.user, EVIDENCE_CODINGS_SHOWN)
    # The portfolio draws the networks whose use is coded; a place in 13 networks, two of them
    # coded, would otherwise show a chart of empty rows. "All its networks" lists every one.
    coded = {network_id for network_id, _code, _salience in codings}
    coded_spells = [spell for spell in city.memberships.all() if spell.network_id in coded]
    portfolio = aggregates.city_portfolio(coded_spells, codings, codes)
    portfolio = aggregates.portfolio_grid(portfolio, city.slug, codes)
    engagement = aggregates.engagement_series(city.engagement_observations.all())
    networks = overlap.network_portfolio(city)
    if wants_csv(request):
        tables = {
            "portfolio": (aggregates.portfolio_flat_rows(portfolio), PORTFOLIO_FIELDS),
            "engagement": (engagement, ENGAGEMENT_FIELDS),
            "networks": (overlap.portfolio_network_rows(networks), overlap.PORTFOLIO_NETWORK_FIELDS),
        }
        return csv_download(request, tables, city.slug)
    grid = aggregates.matrix_grid(matrix, codes)
    # The rows whose evidence was fetched (the same rule): the others link to their own page.
    evidence_grid = evidence_shown(grid, EVIDENCE_CODINGS_SHOWN)
    pages = {row["network"]["slug"]: row.get("evidence_page", "") for row in grid["rows"]}
    for row in portfolio["rows"]:
        # Where the portfolio's cells find their evidence: this page, or the network's own.
        row["evidence_page"] = pages.get(row["network"]["slug"], "")
    context = {
        "city": city,
        "grid": grid,
        "evidence_grid": evidence_grid,
        "evidence_elsewhere": evidence_elsewhere(grid),
        "portfolio": portfolio,
        "portfolio_figure": charts.portfolio_figure(portfolio),
        "portfolio_narrow_figure": charts.turned_layout(charts.portfolio_figure(portfolio, narrow=True)),
        "engagement": engagement,
        "engagement_figure": charts.engagement_figure(engagement),
        "csv_urls": csv_urls(request, "portfolio", "engagement", "networks"),
        "network_portfolio": networks,
        "uncoded_networks": [row["network"] for row in networks if row["network"].pk not in coded],
    }
    return render(request, "cities/city_detail.html", context)


def evidence_elsewhere(grid: dict) -> list[dict]:
    """The coded networks of a city's `grid` whose evidence is on a page of its own
    (`evidence_shown`): [{"network", "page", "cells" (its coded cells), "codings"}], in order."""
    elsewhere = []
    for row in grid["rows"]:
        if "evidence_page" not in row:
            continue
        cells = sum(1 for cell in row["cells"] if cell["cell"])
        elsewhere.append(
            {"network": row["network"], "page": row["evidence_page"], "cells": cells, "codings": row_codings(row)}
        )
    return elsewhere


@cache_for_public_readers
@collector_paused()
def city_evidence(request, slug, network):
    """Every coded function and logic of a place in one network, with all its evidence: the
    part of a city page's evidence that the page itself leaves out for a well-coded place."""
    city = City.objects.filter(slug=slug).first()
    if city is None:
        return merged_place_redirect(request, slug, "cities:city_evidence", network)
    network = get_object_or_404(Network, slug=network)
    codes = list(Code.objects.current())
    matrix = values_matrix(network, [city.slug], request.user, details=True, codes=codes)
    context = {"city": city, "network": network, "grid": aggregates.matrix_grid(matrix, codes)}
    return render(request, "cities/city_evidence.html", context)


@cache_for_public_readers
def city_similar(request, slug):
    """The places most like a place by the networks they share. Counted over every spell of
    the register (80-170 ms at the field's scale, whatever the place), so the city page fetches
    it after it is shown rather than making every profile wait for it."""
    city = City.objects.prefetch_related("memberships").filter(slug=slug).first()
    if city is None:
        return merged_place_redirect(request, slug, "cities:city_similar")
    return render(request, "cities/city_similar.html", {"city": city, "places_like": overlap.places_like(city)})
