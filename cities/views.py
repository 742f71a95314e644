from django.core.paginator import Paginator
from django.http import Http404
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import render

from cities.models import PlaceRedirect
from citynet.caching import cache_while_unchanged
from networks import aggregates
from networks import charts
from networks import overlap
from networks.collector import collector_paused
from networks.models import Code
from networks.pages import csv_download
from networks.pages import csv_urls
from networks.pages import network_or_404
from networks.pages import search_text
from networks.pages import wants_csv
from networks.selectors import cities_for_list
from networks.selectors import cities_for_profile
from networks.selectors import cities_in_network
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


@cache_for_public_readers
@collector_paused()
def city_detail(request, slug):
    city = cities_for_profile(request.user).filter(slug=slug).first()
    if city is None:
        # A place merged into another: its permalink leads there for good.
        survivor = PlaceRedirect.objects.target(slug)
        if survivor is None:
            raise Http404("No place has this address.")
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(survivor.get_absolute_url() + (f"?{query}" if query else ""))
    codes = list(Code.objects.current())
    codings = city.codings.all()
    # The portfolio draws the networks whose use is coded; a place in 13 networks, two of them
    # coded, would otherwise show a chart of empty rows. "All its networks" lists every one.
    coded = {coding.network_id for coding in codings}
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
    context = {
        "city": city,
        "grid": aggregates.matrix_grid(aggregates.comparison_matrix(codings, codes, details=True), codes),
        "portfolio": portfolio,
        "portfolio_figure": charts.portfolio_figure(portfolio),
        "portfolio_narrow_figure": charts.portfolio_figure(portfolio, narrow=True),
        "engagement": engagement,
        "engagement_figure": charts.engagement_figure(engagement),
        "csv_urls": csv_urls(request, "portfolio", "engagement", "networks"),
        "network_portfolio": networks,
        "uncoded_networks": [row["network"] for row in networks if row["network"].pk not in coded],
        "places_like": overlap.places_like(city),
    }
    return render(request, "cities/city_detail.html", context)
