"""What every HTML page of both apps shares: its search text, the network and cities it is
about, and its charts' data as CSV downloads (`?format=csv&chart=<name>`) with the page's
attribution and citation."""

from django.http import Http404
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse

from cities.geonames import GEONAMES_ATTRIBUTION
from citynet.downloads import csv_lines
from networks import aggregates
from networks.models import Network
from networks.models import Source
from networks.research.citations import attribution_lines

QUERY_MAX_LENGTH = 100
CITIES_MAX = 40


def _flat(value):
    """A CSV cell: names for nested rows ("Oslo (3)" when they carry a salience, "Oslo (not
    rated)" when it is None), lists joined."""
    if isinstance(value, dict):
        name = value.get("name", "")
        if "salience" not in value:
            return name
        return f"{name} ({'not rated' if value['salience'] is None else value['salience']})"
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


# A page shows the evidence of at most this many codings (its first rows whole); the evidence of
# each other row, a city in a network, is the city's page for that network (`cities:city_evidence`),
# which the evidence panel fetches. The best-coded place has 1,000 codings, a page of a network's
# comparison 50 places: rendering every item took two thirds of either page.
EVIDENCE_CODINGS_SHOWN = 50


def row_codings(row: dict) -> int:
    """How many codings a `matrix_grid` row's cells summarise."""
    return sum(len(cell["cell"]["codings"]) for cell in row["cells"] if cell["cell"])


def evidence_shown(grid: dict, limit: int | None = None) -> dict:
    """The first rows of `grid` (`aggregates.matrix_grid`) whose evidence a page shows: rows in
    order while their codings number at most `limit` together (`aggregates.leading_within`).
    Each later row gets "evidence_page", its city's evidence in its network
    (`cities:city_evidence`), where the page's links to its cells lead (default `limit`:
    EVIDENCE_CODINGS_SHOWN). Returns a grid of the rows shown."""
    limit = EVIDENCE_CODINGS_SHOWN if limit is None else limit
    rows = grid["rows"]
    shown = aggregates.leading_within([row_codings(row) for row in rows], limit)
    for row in rows[shown:]:
        row["evidence_page"] = reverse("cities:city_evidence", args=[row["city"]["slug"], row["network"]["slug"]])
    return {**grid, "rows": rows[:shown]}
