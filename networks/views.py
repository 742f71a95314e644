"""HTML pages: home, search, networks, the comparison, logics, the graph and the map.

A page's state lives in its GET parameters. Every chart's data downloads as CSV from the
same URL with `format=csv` (and `chart=<name>` where a page has several charts).
"""


from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from cities.models import City
from networks import aggregates, charts
from networks.models import Code, Coding, Membership, Network, Source
from networks.renderers import GEONAMES_ATTRIBUTION, attribution_lines, csv_lines

QUERY_MAX_LENGTH = 100
CITIES_MAX = 40
MATRIX_FIELDS = [
    "city",
    "city_slug",
    "country",
    "network",
    "network_slug",
    "code",
    "code_kind",
    "salience",
    "outcome",
    "perspective",
    "evidence_count",
    "coders",
    "evidence",
]
OFFER_FIELDS = ["code", "name", "network_salience", "members_mean", "members_mentioning", "members"]
PLACE_FIELDS = ["name", "slug", "country", "kind", "latitude", "longitude", "networks"]
LOGIC_FIELDS = [
    "city",
    "network",
    "strategic",
    "functions",
    "consequences",
    "legitimacy",
    "appropriateness",
    "evidence_count",
]
EDGE_FIELDS = ["source_label", "target_label", "kind", "weight", "source", "target"]


def _flat(value):
    """A CSV cell: names for nested rows ("Oslo (3)" when they carry a salience), lists joined."""
    if isinstance(value, dict):
        name = value.get("name", "")
        return f"{name} ({value['salience']})" if "salience" in value else name
    if isinstance(value, list):
        return "; ".join(str(_flat(item)) for item in value)
    return "" if value is None else value


def csv_download(request, tables: dict[str, tuple[list[dict], list[str]]], stem: str) -> HttpResponse:
    """The CSV of the chart named by `?chart=` (or the page's only chart) from `tables`,
    a mapping of chart name to (rows, columns)."""
    name = request.GET.get("chart") or next(iter(tables))
    if name not in tables:
        raise Http404(f"This page has no chart called {name!r}.")
    rows, fields = tables[name]
    comments = attribution_lines(
        f"{stem}, {name}", request.build_absolute_uri(), [GEONAMES_ATTRIBUTION, *Source.objects.study_citations()]
    )
    flat_rows = ({field: _flat(row.get(field)) for field in fields} for row in rows)
    response = HttpResponse("".join(csv_lines(flat_rows, fields, comments)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{name}.csv"'
    return response


def csv_urls(request, *names: str) -> dict[str, str]:
    """This page's URL with its parameters plus `format=csv` and `chart=<name>`, per chart."""
    urls = {}
    for name in names:
        query = request.GET.copy()
        query["format"] = "csv"
        query["chart"] = name
        urls[name] = f"{request.path}?{query.urlencode()}"
    return urls


def wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


def search_text(request) -> str:
    return request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]


def network_or_404(slug: str | None) -> Network | None:
    """The network a `?network=` parameter names; None when it names none ('' or 'all')."""
    return get_object_or_404(Network, slug=slug) if slug and slug != "all" else None


def chosen_cities(request) -> list[str]:
    return list(dict.fromkeys(slug.strip() for slug in request.GET.getlist("city") if slug.strip()))[:CITIES_MAX]


def home(request):
    context = {
        "networks": Network.objects.for_list(),
        "n_cities": City.objects.count(),
        "n_memberships": Membership.objects.count(),
        "n_codings": Coding.objects.count(),
        "codes": Code.objects.current(),
    }
    return render(request, "networks/home.html", context)


def search(request):
    query = search_text(request)
    context = {"query": query}
    if query:
        context["cities"] = City.objects.matching(query).order_by("name")[:50]
        context["networks"] = Network.objects.matching(query)
        context["codings"] = Coding.objects.with_evidence_matching(query)[:100]
    return render(request, "networks/search.html", context)


def network_list(request):
    return render(request, "networks/network_list.html", {"networks": Network.objects.for_list()})


def network_detail(request, slug):
    network = get_object_or_404(Network.objects.for_profile(), slug=slug)
    codings = network.codings.all()
    offers = aggregates.network_offer_and_use(codings, Code.objects.current())
    places = aggregates.member_places(network.memberships.all())
    if wants_csv(request):
        tables = {"offers": (offers["functions"], OFFER_FIELDS), "members": (places, PLACE_FIELDS)}
        return csv_download(request, tables, network.slug)
    context = {
        "network": network,
        "memberships": network.memberships.all(),
        "own_codings": [coding for coding in codings if coding.city_id is None],
        "member_codings": [coding for coding in codings if coding.city_id is not None],
        "offers": offers,
        "offers_figure": charts.figure_json(charts.offer_and_use_figure(offers)),
        "places": places,
        "unplaced": [place for place in places if place["latitude"] is None],
        "map_figure": charts.figure_json(charts.member_map_figure(places)),
        "map_narrow_figure": charts.figure_json(charts.member_map_figure(places, narrow=True)),
        "csv_urls": csv_urls(request, "offers", "members"),
    }
    return render(request, "networks/network_detail.html", context)


def compare(request):
    network = network_or_404(request.GET.get("network"))
    chosen = chosen_cities(request)
    matrix = aggregates.comparison_matrix(Coding.objects.for_matrix(network, chosen), Code.objects.current())
    if wants_csv(request):
        return csv_download(request, {"matrix": (aggregates.matrix_flat_rows(matrix), MATRIX_FIELDS)}, "comparison")
    grid = aggregates.matrix_grid(matrix)
    options = list(City.objects.coded(network))
    context = {
        "network": network,
        "networks": Network.objects.order_by("name"),
        "options": options,
        "chosen": chosen,
        "not_coded": [slug for slug in chosen if slug not in {city.slug for city in options}],
        "grid": grid,
        "contrasts": aggregates.matrix_contrasts(grid)[:3],
        "figure": charts.figure_json(charts.comparison_figure(grid)),
        "narrow_figure": charts.figure_json(charts.comparison_figure(grid, narrow=True)),
        "csv_urls": csv_urls(request, "matrix"),
    }
    return render(request, "networks/compare.html", context)


def compare_cities(request):
    slugs = [slug for slug in (request.GET.get("a", "").strip(), request.GET.get("b", "").strip()) if slug]
    codings = Coding.objects.for_matrix(cities=slugs) if slugs else Coding.objects.none()
    matrix = aggregates.comparison_matrix(codings, Code.objects.current())
    if wants_csv(request):
        return csv_download(request, {"pair": (aggregates.matrix_flat_rows(matrix), MATRIX_FIELDS)}, "cities")
    grid = aggregates.matrix_grid(matrix)
    options = list(City.objects.coded())
    names = {city.slug: city.name for city in options}
    context = {
        "options": options,
        "slugs": slugs,
        "names": [names.get(slug, slug) for slug in slugs],
        "grid": grid,
        "pair": aggregates.city_pair(grid, slugs),
        "figure": charts.figure_json(charts.city_pair_figure(grid, slugs)),
        "csv_urls": csv_urls(request, "pair"),
    }
    return render(request, "networks/compare_cities.html", context)


def logics(request):
    network = network_or_404(request.GET.get("network"))
    matrix = aggregates.comparison_matrix(Coding.objects.for_matrix(network), Code.objects.current())
    rows = aggregates.logic_weights(aggregates.matrix_grid(matrix))
    if wants_csv(request):
        return csv_download(request, {"logics": (rows, LOGIC_FIELDS)}, "logics")
    context = {
        "network": network,
        "networks": Network.objects.order_by("name"),
        "rows": rows,
        "figure": charts.figure_json(charts.logics_figure(rows)),
        "csv_urls": csv_urls(request, "logics"),
    }
    return render(request, "networks/logics.html", context)


def graph(request):
    query = search_text(request)
    data = aggregates.comembership_graph(Network.objects.for_graph())
    if wants_csv(request):
        return csv_download(request, {"graph": (data["edges"], EDGE_FIELDS)}, "graph")
    context = {
        "query": query,
        "graph": data,
        "matches": aggregates.graph_matches(data, query),
        "figure": charts.figure_json(charts.network_graph_figure(data, query)),
        "narrow_figure": charts.figure_json(charts.network_graph_figure(data, query, narrow=True)),
        "csv_urls": csv_urls(request, "graph"),
    }
    return render(request, "networks/graph.html", context)


def member_map(request):
    network = network_or_404(request.GET.get("network"))
    places = aggregates.member_places(Membership.objects.for_map(network))
    if wants_csv(request):
        return csv_download(request, {"map": (places, PLACE_FIELDS)}, network.slug if network else "members")
    context = {
        "network": network,
        "networks": Network.objects.order_by("name"),
        "places": places,
        "unplaced": [place for place in places if place["latitude"] is None],
        "figure": charts.figure_json(charts.member_map_figure(places)),
        "narrow_figure": charts.figure_json(charts.member_map_figure(places, narrow=True)),
        "csv_urls": csv_urls(request, "map"),
    }
    return render(request, "networks/map.html", context)
