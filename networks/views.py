"""HTML pages: home, search, networks, the comparison, logics, the graph, the map, the quote
table, inter-coder agreement, data releases and the REFI-QDA downloads.

A page's state lives in its GET parameters. Every chart's data downloads as CSV from the
same URL with `format=csv` (and `chart=<name>` where a page has several charts).
"""

import operator
from collections import Counter
from functools import reduce
from pathlib import Path

from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models import F
from django.db.models import Q
from django.http import FileResponse
from django.http import Http404
from django.http import HttpResponse
from django.http import HttpResponsePermanentRedirect
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control

from cities.geonames import GEONAMES_ATTRIBUTION
from cities.models import City
from citynet.caching import cache_while_unchanged
from citynet.caching import cached_response
from citynet.caching import request_data_version
from citynet.downloads import XLSX_MAX_ROWS
from citynet.downloads import csv_response
from citynet.downloads import xlsx_response
from networks import aggregates
from networks import charts
from networks import filters
from networks import overlap
from networks.aggregates.quotes import AGREEMENT_COLUMNS
from networks.charts.overlap import overlap_figure
from networks.charts.overlap import overlap_pairs_figure
from networks.charts.overlap import timeline_figure
from networks.collector import collector_paused
from networks.models import Code
from networks.models import Coder
from networks.models import Coding
from networks.models import Evidence
from networks.models import Membership
from networks.models import Network
from networks.models import Release
from networks.pages import chosen_cities
from networks.pages import csv_download
from networks.pages import csv_urls
from networks.pages import evidence_shown
from networks.pages import network_or_404
from networks.pages import search_text
from networks.pages import wants_csv
from networks.research import agreement
from networks.research import citations
from networks.research import refi
from networks.research.citations import attribution_lines
from networks.search import site_search
from networks.selectors import CODING_NOTE
from networks.selectors import agreed_matrix
from networks.selectors import coded_cities
from networks.selectors import offer_codings
from networks.selectors import offer_levels
from networks.selectors import offers_of_network
from networks.selectors import participations_in_network
from networks.selectors import studies_attribution
from networks.selectors import values_matrix
from networks.visibility import cache_for_public_readers

MEMBERS_PER_PAGE = 100
COMPARE_PAGE_SIZE = 50
MEMBER_CODINGS_SHOWN = 50
# The units taking part a network page lists (by city and unit); the API's CSV has them all.
# 200 took a tenth of the largest network's cold page to render.
PARTICIPATIONS_SHOWN = 50
# The members a network page names behind each bar of its offer-and-use chart (in its table and
# the bar's tooltip, charts.bars.HOVER_NAMES); the CSV names them all.
OFFER_NAMES_SHOWN = 20
OFFER_FIELDS = [
    "code",
    "name",
    "network_salience",
    "network_unrated",
    "members_mean",
    "members_unrated",
    "members_mentioning",
    "members",
    "researchers_mean",
    "researchers_unrated",
    "researchers_mentioning",
    "researchers",
]
PLACE_FIELDS = ["name", "slug", "country", "kind", "latitude", "longitude", "networks"]
LOGIC_FIELDS = [
    "city",
    "network",
    "strategic",
    "functions",
    "consequences",
    "legitimacy",
    "appropriateness",
    "unrated",
    "evidence_count",
]
EDGE_FIELDS = ["source_label", "target_label", "kind", "weight", "source", "target"]
QUOTE_FIELDS = [
    "city",
    "city_slug",
    "country",
    "network",
    "network_slug",
    "code",
    "code_name",
    "code_kind",
    "salience",
    "outcome",
    "perspective",
    "coder",
    "kind",
    "visibility",
    "text",
    "original_text",
    "language",
    "source",
    # The source's short name as every page shows it ("Interview 2, 2018"), beside the citation.
    "source_label",
    "locator",
    "evidence_id",
    "coding_id",
]
QUOTE_FILTERS = ["network", "city", "code", "kind", "coder", "outcome", "perspective"]
QUOTES_PER_PAGE = 50
# The search page's hits as plain lists of models, by context name.
SEARCH_OBJECTS = {"cities": "places", "networks": "networks", "codings": "codings"}


def favicon(request):
    return HttpResponsePermanentRedirect(static("favicon.svg"))


@cache_while_unchanged
def home(request):
    networks = list(Network.objects.for_list())
    context = {
        "networks": networks,
        "n_cities": City.objects.count(),
        "n_memberships": Membership.objects.count(),
        # Every coding belongs to a network: the networks' counts add up to all of them.
        "n_codings": sum(network.n_codings for network in networks),
        "codes": Code.objects.current(),
    }
    return render(request, "networks/home.html", context)


def search(request):
    query = search_text(request)
    context = {"query": query}
    if query:
        results = site_search(query, reader=request.user, kind=request.GET.get("kind", ""))
        context["results"] = results
        context.update({name: results.objects(kind) for name, kind in SEARCH_OBJECTS.items()})
    return render(request, "networks/search.html", context)


@cache_while_unchanged
def network_list(request):
    return render(request, "networks/network_list.html", {"networks": Network.objects.for_list()})


def first_member_codings(
    network: Network, own: list[Coding], codes: dict[int, Code], reader
) -> tuple[list[Coding], int]:
    """The first MEMBER_CODINGS_SHOWN codings of `network`'s members by code (kind, then
    position), city name and pk, with evidence as `reader` may see it, and how many there are;
    `own` are the network's own codings, `codes` every code by pk. Two queries and the
    evidence's, whatever the size: the codings counted per code (from the index alone), then the
    first ones of only the codes they come from. Ordering a large network's 44,000 codings by
    city name to keep 50 took longer than the rest of the page's queries together; within one
    code the database walks the cities by name instead."""
    per_code = Coding.objects.filter(network=network).values_list("code").annotate(n=Count("*")).order_by()
    counts: Counter = Counter()
    for code, n in per_code:
        counts[(codes[code].kind, codes[code].position)] += n
    counts.subtract(Counter((coding.code.kind, coding.code.position) for coding in own))
    total = sum(counts.values())
    needed, found = [], 0
    for kind, position in sorted(key for key, n in counts.items() if n > 0):
        needed.append(Q(code__kind=kind, code__position=position))
        found += counts[(kind, position)]
        if found >= MEMBER_CODINGS_SHOWN:
            break
    if not needed:
        return [], total
    codings = Coding.objects.of_members(network).filter(reduce(operator.or_, needed)).with_evidence(reader)
    # Within one code the order is by city name alone.
    order = ["city__name", "pk"] if len(needed) == 1 else ["code__kind", "code__position", "city__name", "pk"]
    return list(codings.order_by(*order)[:MEMBER_CODINGS_SHOWN]), total


@cache_for_public_readers
@collector_paused()
def network_detail(request, slug):
    network = get_object_or_404(Network.objects.for_detail(), slug=slug)
    every_code = Code.objects.annotate(current=F("version__is_current")).order_by("kind", "position")
    codes_by_pk = {code.pk: code for code in every_code}
    codes = [code for code in codes_by_pk.values() if code.current]
    if wants_csv(request):
        offers = offers_of_network(network, codes)
        places = aggregates.member_places_from_rows(Membership.objects.for_map_rows(network))
        tables = {"offers": (offers["functions"], OFFER_FIELDS), "members": (places, PLACE_FIELDS)}
        return csv_download(request, tables, network.slug)
    # A network may have 10,000 members and 50,000 codings: the page shows a page of the
    # members, the first codings and the first names behind each bar, and links to the
    # complete lists. The map's points and the evidence behind the bars are pages of their
    # own, which the page's script fetches (`network_members_map`, `network_offer_evidence`).
    offers = offers_of_network(network, codes, OFFER_NAMES_SHOWN)
    members = Membership.objects.in_network(network).for_members_table()
    own_codings = list(
        Coding.objects.for_network_as_whole(network)
        .with_evidence(request.user)
        .order_by("code__kind", "code__position", "pk")
    )
    member_codings, member_codings_count = first_member_codings(network, own_codings, codes_by_pk, request.user)
    participations = participations_in_network(network, PARTICIPATIONS_SHOWN)
    map_version = members_map_version(request)
    context = {
        "network": network,
        "memberships": Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("members_page")),
        "own_codings": own_codings,
        "member_codings": member_codings,
        "member_codings_count": member_codings_count,
        "offers": offers,
        "offer_evidence_url": reverse("networks:network_offer_evidence", args=[network.slug]),
        "offers_figure": charts.offer_and_use_figure(offers),
        "has_places": Membership.objects.for_map(network).exists(),
        "unplaced": aggregates.member_places_from_rows(
            Membership.objects.for_map_rows(network).filter(city__latitude__isnull=True)
        ),
        "map_url": reverse("networks:network_members_map", args=[network.slug])
        + (f"?v={map_version}" if map_version else ""),
        "participants": aggregates.participants_by_subnetwork(
            network.subnetworks.all(), participations[:PARTICIPATIONS_SHOWN]
        ),
        "more_participations": len(participations) > PARTICIPATIONS_SHOWN,
        "csv_urls": csv_urls(request, "offers", "members"),
    }
    return render(request, "networks/network_detail.html", context)


@cache_for_public_readers
@collector_paused()
def network_offer_evidence(request, slug):
    """The codings and evidence behind each bar of a network's offer-and-use chart, which the
    network page fetches when a bar is clicked (and where its links lead without scripts):
    finding each bar's first codings and rendering their evidence took a third of the page's
    first build for a network of 10,000 members."""
    network = get_object_or_404(Network, slug=slug)
    codes = list(Code.objects.current())
    offers = offers_of_network(network, codes, OFFER_NAMES_SHOWN)
    own = list(
        Coding.objects.for_network_as_whole(network)
        .filter(code__kind=Code.Kind.FUNCTION)
        .with_evidence(request.user)
        .order_by("code__position", "pk")
    )
    codings, totals = offer_codings(network, offer_levels(network), own, request.user)
    context = {"network": network, "offer_bars": aggregates.offer_evidence(codings, offers, totals)}
    return render(request, "networks/network_offer_evidence.html", context)


# A member map's address names the versions of the tables it is drawn from, so browsers may
# keep it (a year): a write to them gives it a new address.
MAP_TABLES = (Membership._meta.db_table, City._meta.db_table, Network._meta.db_table)
MAP_MAX_AGE = 365 * 24 * 60 * 60


def members_map_version(request) -> str | None:
    version = request_data_version(request)
    return version and ".".join([version.epoch, *(str(version.of(table)) for table in MAP_TABLES)])


def network_members_map(request, slug):
    """A network's member map, {"figure": wide, "narrow_figure": a phone's layout alone}, which
    its page's script draws: 1.2 MB of places for 10,000 members, more than the rest of the
    page, changing only with the memberships. Cached while its tables are unchanged, and by
    browsers when asked for at the current version (`?v=`, `members_map_version`)."""
    response = cached_response(request, lambda: members_map_response(slug))
    if response.status_code == 200 and request.GET.get("v") == members_map_version(request):
        patch_cache_control(response, public=True, max_age=MAP_MAX_AGE, immutable=True)
    return response


@collector_paused()
def members_map_response(slug: str) -> JsonResponse:
    network = get_object_or_404(Network, slug=slug)
    wide, narrow = charts.member_map_figures(
        aggregates.member_places_from_rows(Membership.objects.for_map_rows(network))
    )
    return JsonResponse({"figure": wide, "narrow_figure": narrow})


@cache_for_public_readers
@collector_paused()
def compare(request):
    network = network_or_404(request.GET.get("network"))
    chosen = chosen_cities(request)
    codes = list(Code.objects.current())
    if wants_csv(request):
        matrix = agreed_matrix(network, chosen, reader=request.user, codes=codes)
        return csv_download(
            request, {"matrix": (aggregates.matrix_flat_rows(matrix), aggregates.MATRIX_COLUMNS)}, "comparison"
        )
    # A large network has thousands of coded cities: without a choice, the page shows them a
    # page at a time (the CSV has them all); chosen cities are shown together.
    coded = coded_cities(network)
    # Across all networks a row is a city in one network: a well-connected city has dozens.
    size = COMPARE_PAGE_SIZE if network else COMPARE_PAGE_SIZE // 5
    page = Paginator(coded, size).get_page(request.GET.get("page"))
    found = list(coded.filter(slug__in=chosen)) if chosen else []
    shown = chosen or [city.slug for city in page]
    matrix = agreed_matrix(network, shown, request.user, details=True, codes=codes) if shown else None
    grid = aggregates.matrix_grid(matrix or {"codes": [], "rows": []}, codes)
    options = list(page) + [city for city in found if city not in page]
    context = {
        "network": network,
        # The select shows their names: 250 networks, none of their descriptions.
        "networks": Network.objects.order_by("name").only("slug", "name"),
        "options": options,
        "page": None if chosen else page,
        "chosen": chosen,
        "not_coded": [slug for slug in chosen if slug not in {city.slug for city in found}],
        "grid": grid,
        "evidence_grid": evidence_shown(grid),
        "contrasts": aggregates.matrix_contrasts(grid)[:3],
        "figure": charts.comparison_figure(grid),
        "narrow_figure": charts.turned_layout(charts.comparison_figure(grid, narrow=True)),
        "csv_urls": csv_urls(request, "matrix"),
        "agreement_counts": aggregates.agreement_counts(grid),
    }
    return render(request, "networks/compare.html", context)


def compare_cities(request):
    slugs = [slug for slug in (request.GET.get("a", "").strip(), request.GET.get("b", "").strip()) if slug]
    codings = Coding.objects.for_matrix(cities=slugs, reader=request.user) if slugs else Coding.objects.none()
    codes = list(Code.objects.current())
    matrix = aggregates.comparison_matrix(codings, codes, details=True)
    if wants_csv(request):
        return csv_download(
            request, {"pair": (aggregates.matrix_flat_rows(matrix), aggregates.MATRIX_COLUMNS)}, "cities"
        )
    grid = aggregates.matrix_grid(matrix, codes)
    options = list(coded_cities())
    names = {city.slug: city.name for city in options}
    context = {
        "options": options,
        "slugs": slugs,
        "names": [names.get(slug, slug) for slug in slugs],
        "grid": grid,
        "pair": aggregates.city_pair(grid, slugs),
        "figure": charts.city_pair_figure(grid, slugs),
        "csv_urls": csv_urls(request, "pair"),
    }
    return render(request, "networks/compare_cities.html", context)


@cache_for_public_readers
@collector_paused()
def logics(request):
    network = network_or_404(request.GET.get("network"))
    matrix = values_matrix(network, reader=request.user, details=True)
    rows = aggregates.logic_weights(aggregates.matrix_grid(matrix))
    if wants_csv(request):
        return csv_download(request, {"logics": (rows, LOGIC_FIELDS)}, "logics")
    context = {
        "network": network,
        "networks": Network.objects.order_by("name"),
        "rows": rows,
        "figure": charts.logics_figure(rows),
        "csv_urls": csv_urls(request, "logics"),
    }
    return render(request, "networks/logics.html", context)


@cache_while_unchanged
@collector_paused()
def graph(request):
    query = search_text(request)
    data = aggregates.comembership_graph(Network.objects.for_graph())
    if wants_csv(request):
        return csv_download(request, {"graph": (data["edges"], EDGE_FIELDS)}, "graph")
    context = {
        "query": query,
        "graph": data,
        "matches": aggregates.graph_matches(data, query),
        "figure": charts.network_graph_figure(data, query),
        "narrow_figure": charts.network_graph_figure(data, query, narrow=True),
        "csv_urls": csv_urls(request, "graph"),
    }
    return render(request, "networks/graph.html", context)


@cache_while_unchanged
@collector_paused()
def member_map(request):
    network = network_or_404(request.GET.get("network"))
    places = aggregates.member_places_from_rows(Membership.objects.for_map_rows(network))
    if wants_csv(request):
        return csv_download(request, {"map": (places, PLACE_FIELDS)}, network.slug if network else "members")
    figure, narrow_figure = charts.member_map_figures(places)
    context = {
        "network": network,
        "networks": Network.objects.order_by("name"),
        "places": places,
        "unplaced": [place for place in places if place["latitude"] is None],
        "figure": figure,
        "narrow_figure": narrow_figure,
        "csv_urls": csv_urls(request, "map"),
    }
    return render(request, "networks/map.html", context)


@cache_for_public_readers
def quotes(request):
    evidence_filter = filters.EvidenceFilter(request.GET, queryset=Evidence.objects.for_quote_table(request.user))
    if not evidence_filter.is_valid():
        context = {"errors": evidence_filter.errors, **quote_options(request)}
        return render(request, "networks/quotes.html", context, status=400)
    evidence = evidence_filter.qs
    download = request.GET.get("format")
    if download in ("csv", "xlsx"):
        return quotes_download(request, evidence, download)
    page = Paginator(evidence, QUOTES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": list(aggregates.quote_rows(page.object_list)),
        "xlsx_max_rows": XLSX_MAX_ROWS,
        **quote_options(request),
    }
    return render(request, "networks/quotes.html", context)


def quote_options(request) -> dict:
    """The quote table's filter form: the choices offered and those made."""
    chosen = {name: request.GET.get(name, "") for name in QUOTE_FILTERS}
    return {
        "chosen": chosen,
        "filtered": any(chosen.values()),
        "networks": Network.objects.order_by("name"),
        "codes": Code.objects.current(),
        "cities": coded_cities(),
        "coders": Coder.objects.order_by("name"),
        "kinds": Evidence.Kind.choices,
        "outcomes": Coding.Outcome.choices,
        "perspectives": Coding.Perspective.choices,
    }


def quotes_download(request, evidence, download: str):
    """All matching evidence rows as CSV (streamed) or XLSX (the first XLSX_MAX_ROWS)."""
    attribution = [GEONAMES_ATTRIBUTION, *studies_attribution(evidence.values("source")), CODING_NOTE]
    comments = attribution_lines("quote table", request.build_absolute_uri(), attribution)
    if download == "csv":
        rows = aggregates.quote_rows(evidence.iterator(chunk_size=1000))
        return csv_response(rows, columns=QUOTE_FIELDS, comments=comments, filename="quotes")
    total = evidence.count()
    if total > XLSX_MAX_ROWS:
        comments.append(f"Only the first {XLSX_MAX_ROWS} of {total} matching rows: the CSV download has them all.")
    rows = aggregates.quote_rows(evidence[:XLSX_MAX_ROWS])
    return xlsx_response(rows, columns=QUOTE_FIELDS, comments=comments, filename="quotes", sheet="quotes")


def agreement_page(request):
    network = network_or_404(request.GET.get("network"))
    columns = aggregates.code_columns(Code.objects.current())
    rows = agreement.coding_rows(Coding.objects.for_agreement(network, reader=request.user))
    summary = agreement.agreement_summary(rows, codes=[column["code"] for column in columns])
    if wants_csv(request):
        return csv_download(
            request, {"codes": (aggregates.agreement_flat_rows(summary), AGREEMENT_COLUMNS)}, "agreement"
        )
    networks = list(Network.objects.order_by("name"))
    context = {
        "network": network,
        "networks": networks,
        "summary": aggregates.agreement_display(summary, columns, {option.slug: option.name for option in networks}),
        "csv_urls": csv_urls(request, "codes"),
    }
    return render(request, "networks/agreement.html", context)


def release_list(request):
    releases = [
        citations.release_entry(
            release, request.build_absolute_uri(reverse("networks:release_download", args=[release.label]))
        )
        for release in Release.objects.all()
    ]
    return render(request, "networks/release_list.html", {"releases": releases})


def release_download(request, label):
    # Only a file recorded by a Release row is ever served; the URL names the row, not a path.
    release = get_object_or_404(Release, label=label)
    path = Path(release.zip_path)
    if not path.is_file():
        raise Http404("This release's zip file is missing from the server.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=release.file_name, content_type="application/zip")


def codebook_download(request):
    codes = list(Code.objects.current().order_by("kind", "position", "code"))
    if not codes:
        raise Http404("No current codebook.")
    response = HttpResponse(refi.codebook_qdc(codes), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="citynet-codebook.qdc"'
    return response


def project_download(request):
    network = network_or_404(request.GET.get("network"))
    cities = chosen_cities(request)
    codings = list(Coding.objects.for_export(network=network, cities=cities, reader=request.user))
    if not codings:
        raise Http404("No codings match.")
    scope = "; ".join(
        part
        for part in (f"network {network.slug}" if network else "", f"cities {', '.join(cities)}" if cities else "")
        if part
    )
    project = refi.project_qdpx(codings, codes=Code.objects.current(), scope=scope)
    response = HttpResponse(project, content_type="application/zip")
    stem = "-".join(["citynet-project", *([network.slug] if network else [])])
    response["Content-Disposition"] = f'attachment; filename="{stem}.qdpx"'
    return response


# Many networks at once: which share members, and members per year (networks.overlap).

OVERLAP_LIMIT = 30
TIMELINE_LIMIT = 10
PAIRS_SHOWN = 100
PAIR_FIELDS = ["a", "a_slug", "b", "b_slug", "shared", "a_members", "b_members", "share_of_a", "share_of_b", "jaccard"]
OVERLAP_MEMBER_FIELDS = ["name", "slug", "country", "kind", "population"]
TIMELINE_FIELDS = ["network", "network_slug", "year", "members", "joined", "left"]


@cache_while_unchanged
def overlap_page(request):
    form = overlap.ManyNetworksForm(request.GET, default_limit=OVERLAP_LIMIT)
    if not form.is_valid():
        return render(request, "networks/overlap.html", {"form": form}, status=400)
    filters = form.cleaned_data
    data = overlap.with_member_links(overlap.network_overlap(filters), request.path, request.GET)
    first = get_object_or_404(Network, slug=request.GET["a"]) if request.GET.get("a") else None
    second = get_object_or_404(Network, slug=request.GET["b"]) if first and request.GET.get("b") else None
    members = overlap.shared_members(filters, first.slug, second and second.slug) if first else City.objects.none()
    if wants_csv(request):
        tables = {"pairs": (data["pairs"], PAIR_FIELDS), "members": (members.values(), OVERLAP_MEMBER_FIELDS)}
        return csv_download(request, tables, "overlap")
    kept = request.GET.copy()
    kept.pop("page", None)
    context = {
        "form": form,
        "overlap": data,
        "pairs": data["pairs"][:PAIRS_SHOWN],
        "figure": overlap_figure(data),
        "narrow_figure": overlap_pairs_figure(data["pairs"]),
        "first": first,
        "second": second,
        "members": Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page")) if first else None,
        "page_query": kept.urlencode(),
        "csv_urls": csv_urls(request, "pairs", "members"),
    }
    return render(request, "networks/overlap.html", context)


@cache_while_unchanged
def timeline_page(request):
    form = overlap.ManyNetworksForm(request.GET, default_limit=TIMELINE_LIMIT)
    if not form.is_valid():
        return render(request, "networks/timeline.html", {"form": form}, status=400)
    timeline = overlap.membership_timeline(form.cleaned_data)
    if wants_csv(request):
        return csv_download(request, {"timeline": (overlap.timeline_rows(timeline), TIMELINE_FIELDS)}, "timeline")
    context = {
        "form": form,
        "timeline": timeline,
        "table": overlap.timeline_table(timeline),
        "undated": overlap.undated_spells(timeline),
        "figure": timeline_figure(timeline),
        "narrow_figure": timeline_figure(timeline, narrow=True),
        "csv_urls": csv_urls(request, "timeline"),
    }
    return render(request, "networks/timeline.html", context)
