"""What the HTML pages draw from the matrix and other rows: the heatmap's grid, contrasts, city
pairs, logics, a portfolio's grid, a network's offer and use, member places, engagement and the
co-membership graph."""

from collections import defaultdict
from collections.abc import Iterable

from django.urls import reverse

from cities.models import City
from networks.aggregates.offers import MEMBER_SIDES
from networks.aggregates.offers import highest_per_member
from networks.aggregates.offers import offer_anchor
from networks.aggregates.offers import offer_and_use_from_highest
from networks.models import Code
from networks.models import Coding
from networks.salience import UNRATED_MARK
from networks.salience import highest
from networks.salience import salience_label
from networks.salience import salience_rank


def cell_anchor(city_slug: str, network_slug: str, code: str) -> str:
    """The HTML id of one matrix cell's evidence; the heatmap's click target."""
    return f"evidence-{city_slug}--{network_slug}--{code}"


def _grid_cell(row: dict, column: dict) -> dict:
    cell = row["cells"][column["code"]]
    anchor = cell_anchor(row["city"]["slug"], row["network"]["slug"], column["code"])
    if cell is None:
        return {**column, "cell": None, "anchor": anchor, "salience_label": "", "perspective_label": ""}
    salience, label = cell["salience"], salience_label(cell["salience"])
    return {
        **column,
        "cell": cell,
        "anchor": anchor,
        "salience_label": label,
        "perspective_label": PERSPECTIVE_LABELS.get(cell["perspective"], cell["perspective"]),
        # What a table cell shows, as text: rendering numbers is what a template is slowest at.
        "salience_text": UNRATED_MARK if salience is None else str(salience),
        "salience_class": "unrated" if salience is None else f"s{salience}",
        "title": f"{label}; outcome {cell['outcome'] or 'not applicable'}; {cell['evidence_count']} evidence",
        "agreement_status": (cell.get("agreement") or {}).get("status", ""),
    }


PERSPECTIVE_LABELS = dict(Coding.Perspective.choices)


CODE_GROUPS = {Code.Kind.FUNCTION: "Network functions", Code.Kind.LOGIC: "Logics of participation"}


def code_groups(columns: list[dict]) -> list[dict]:
    """The runs of one kind among codebook columns (functions, then logics), to label the line
    between them: [{"kind", "label", "span"}]."""
    groups: list[dict] = []
    for column in columns:
        if groups and groups[-1]["kind"] == column["kind"]:
            groups[-1]["span"] += 1
        else:
            groups.append({"kind": column["kind"], "label": CODE_GROUPS.get(column["kind"], column["kind"]), "span": 1})
    return groups


def with_definitions(columns: list[dict], codes: Iterable[Code] | None) -> list[dict]:
    """Codebook columns, each with its code's "definition" where `codes` has it."""
    definitions = {code.code: code.definition for code in codes or ()}
    return [
        {**column, "definition": definitions[column["code"]]} if column["code"] in definitions else column
        for column in columns
    ]


def matrix_grid(matrix: dict, codes: Iterable[Code] | None = None) -> dict:
    """`comparison_matrix` output with each row's cells as a list in column order.

    Returns {"codes": [column...], "groups": `code_groups`, "several_networks": bool, "rows":
    [{"city", "network", "label", "cells": [{"code", "name", "kind", "cell": cell or None,
    "anchor", "salience_label", "perspective_label", and for a coded cell what a table shows of
    it as text: "salience_text", "salience_class", "title", "agreement_status" ("single",
    "agreed", "disputed"; empty without marks)}]}]}; a row's label is the city's name,
    followed by the network's when the matrix spans several. Given the codebook's `codes`,
    each column and cell also has its "definition" (for a page to explain the code).
    """
    columns = with_definitions(matrix["codes"], codes)
    several = len({row["network"]["slug"] for row in matrix["rows"]}) > 1
    rows = []
    for row in matrix["rows"]:
        network_name = row["network"]["acronym"] or row["network"]["name"]
        rows.append(
            {
                "city": row["city"],
                "network": row["network"],
                "label": f"{row['city']['name']} · {network_name}" if several else row["city"]["name"],
                "cells": [_grid_cell(row, column) for column in columns],
            }
        )
    return {"codes": columns, "groups": code_groups(columns), "several_networks": several, "rows": rows}


def matrix_contrasts(grid: dict, minimum: int = 1) -> list[dict]:
    """Where the rows of a `matrix_grid` differ: codes whose coded saliences spread by at
    least `minimum`, and codes coded for some rows but not for others (a function only one
    city has is a difference too), widest first. Returns [{"code", "name", "kind", ...,
    "spread", "values": [{"label", "coded", "salience" (None where not coded or not rated)}],
    "not_coded_for_some", "unrated": n coded but not rated}], values highest first, then the
    unrated, the uncoded last. The spread is over rated values only; for ranking, an uncoded
    cell counts as 0, never shown as 0."""
    contrasts = []
    if len(grid["rows"]) < 2:
        return contrasts
    for index, column in enumerate(grid["codes"]):
        values = [
            {"label": row["label"], "coded": cell is not None, "salience": cell["salience"] if cell else None}
            for row in grid["rows"]
            for cell in [row["cells"][index]["cell"]]
        ]
        coded = [value for value in values if value["coded"]]
        if not coded:
            continue
        rated = [value["salience"] for value in coded if value["salience"] is not None]
        missing = len(coded) < len(values)
        spread = (max(rated) - (0 if missing else min(rated))) if rated else 0
        if spread >= minimum or missing:
            values.sort(key=lambda value: (not value["coded"], -salience_rank(value["salience"])))
            contrasts.append(
                {
                    **column,
                    "spread": spread,
                    "values": values,
                    "not_coded_for_some": missing,
                    "unrated": len(coded) - len(rated),
                }
            )
    return sorted(contrasts, key=lambda contrast: (-contrast["spread"], contrast["not_coded_for_some"]))


def city_pair(grid: dict, slugs: list[str]) -> list[dict]:
    """Two (or more) cities side by side, code by code, from a `matrix_grid` of their codings.

    Returns one row per code: [{"code", "name", "kind", "sides": [[{"network", "cell",
    "anchor"}] for each slug, in order]}]; a side lists the city's coded networks only."""
    pairs = []
    for index, column in enumerate(grid["codes"]):
        sides = [
            [
                {
                    "network": row["network"],
                    "cell": row["cells"][index]["cell"],
                    "anchor": row["cells"][index]["anchor"],
                }
                for row in grid["rows"]
                if row["city"]["slug"] == slug and row["cells"][index]["cell"] is not None
            ]
            for slug in slugs
        ]
        pairs.append({**column, "sides": sides})
    return pairs


def logic_weights(grid: dict) -> list[dict]:
    """Each city x network of a `matrix_grid` placed by its two logics of participation.

    `strategic` adds up the salience of the logic-of-consequences coding and of every
    function coding: the codebook reads a function the city uses as an instrumental gain it
    names. `legitimacy` is the salience of the logic-of-appropriateness coding. Unrated
    cells add nothing to either weight (never a 0 read as a rating): `unrated` counts them.
    Returns [{"city", "network", "label", "strategic", "legitimacy", "consequences" (salience
    or None), "appropriateness" (salience or None), "functions" (sum), "unrated", "evidence_count",
    "logic_evidence" (the two logics' evidence rows, each with "code" and "code_name"),
    "anchor" (the row's id in the page's table), "evidence_anchor" (the id of its logics'
    evidence, the logic map's click target)}].
    """
    rows = []
    for row in grid["rows"]:
        coded = {cell["code"]: cell for cell in row["cells"] if cell["cell"] is not None}
        functions = sum(cell["cell"]["salience"] or 0 for cell in coded.values() if cell["kind"] == Code.Kind.FUNCTION)
        consequences = coded["consequences"]["cell"]["salience"] if "consequences" in coded else None
        appropriateness = coded["appropriateness"]["cell"]["salience"] if "appropriateness" in coded else None
        rows.append(
            {
                "city": row["city"],
                "network": row["network"],
                "label": row["label"],
                "strategic": functions + (consequences or 0),
                "legitimacy": appropriateness or 0,
                "consequences": consequences,
                "appropriateness": appropriateness,
                "functions": functions,
                "unrated": sum(cell["cell"]["salience"] is None for cell in coded.values()),
                "evidence_count": sum(cell["cell"]["evidence_count"] for cell in coded.values()),
                "logic_evidence": [
                    {**item, "code": cell["code"], "code_name": cell["name"]}
                    for cell in coded.values()
                    if cell["kind"] == Code.Kind.LOGIC
                    for item in cell["cell"]["evidence"]
                ],
                "anchor": f"logics-{row['city']['slug']}--{row['network']['slug']}",
                "evidence_anchor": f"evidence-logics-{row['city']['slug']}--{row['network']['slug']}",
            }
        )
    return rows


def portfolio_grid(portfolio: dict, city_slug: str, codes: Iterable[Code] | None = None) -> dict:
    """`city_portfolio` output as display rows: {"codes": [column...], "groups": `code_groups`,
    "rows": [{"network", "spells", "cells": [{"code", "name", "kind", "salience" or None,
    "coded" (False where not coded; True with salience None: coded, not rated), "anchor"}]}],
    "overlaps": [{"code", "name", "kind", "networks": [names]}], "gaps": [{"code", "name",
    "kind"}]}; `anchor` is the cell's evidence anchor (see `cell_anchor`).
    Given the codebook's `codes`, every column also has its "definition"."""
    portfolio = {**portfolio, "codes": with_definitions(portfolio["codes"], codes)}
    names = {entry["network"]["slug"]: entry["network"]["name"] for entry in portfolio["networks"]}
    columns = {column["code"]: column for column in portfolio["codes"]}
    rows = [
        {
            "network": entry["network"],
            "spells": entry["spells"],
            "cells": [
                {
                    **column,
                    "salience": {**entry["functions"], **entry["logics"]}.get(column["code"]),
                    "coded": column["code"] in entry["functions"] or column["code"] in entry["logics"],
                    "anchor": cell_anchor(city_slug, entry["network"]["slug"], column["code"]),
                }
                for column in portfolio["codes"]
            ],
        }
        for entry in portfolio["networks"]
    ]
    return {
        "codes": portfolio["codes"],
        "groups": code_groups(portfolio["codes"]),
        "rows": rows,
        "overlaps": [
            {**columns[code], "networks": [names[slug] for slug in slugs]}
            for code, slugs in portfolio["overlaps"].items()
        ],
        "gaps": [columns[code] for code in portfolio["gaps"]],
    }


def network_offer_and_use(codings: Iterable[Coding], codes: Iterable[Code]) -> dict:
    """What a network says it offers beside what its members use, function by function.

    `codings` are one network's codings (with city and code). The network's side is its
    codings with no city; the members' side comes in two perspectives, kept apart: what their
    informants say (the city's perspective) and the researchers' analysis of them. Returns
    `offer_and_use`'s shape.
    """
    own: dict[str, int | None] = {}
    members: list[dict] = []
    for coding in codings:
        if coding.code.kind != Code.Kind.FUNCTION:
            continue
        if coding.city_id is None:
            own[coding.code.code] = highest([own.get(coding.code.code), coding.salience])
        elif coding.perspective in MEMBER_SIDES:
            city, code = coding.city, coding.code.code
            members.append(
                {
                    "slug": city.slug,
                    "name": city.name,
                    "code": code,
                    "salience": coding.salience,
                    "perspective": coding.perspective,
                }
            )
    return offer_and_use(own, members, codes)


def offer_and_use(own: dict[str, int | None], members: Iterable[dict], codes: Iterable[Code]) -> dict:
    """`network_offer_and_use` from what the database can sum up: `own` maps each function
    code to the network's own highest salience (None: coded, not rated); `members` are rows
    {"slug", "name", "code", "salience" (None: not rated), "perspective" ("city", the default,
    or "researcher")} of member cities' function codings (several rows per city and code are
    fine: the highest rated counts).

    Returns {"members_coded": n members coded from their informants, "members_counted":
    [names], "researchers_coded": n members in the researchers' analysis,
    "researchers_counted": [names], "functions": [{"code", "name", "kind", "network_salience"
    (or None), "network_unrated" (the network coded it without rating it), "network_anchor",
    and per side ("members", "researchers"): "<side>_mean" (mean over that side's members
    with a rating for it: a function a member is coded for by others but not here counts 0, a
    member who names it unrated is left out; None when no member is left to count),
    "<side>_unrated": n members left out so, "<side>_mentioning": n, "<side>": [{"name",
    "slug", "salience", "url"}] (highest salience first, then by name), "<side>_anchor"}],
    "network_stresses": [names], "members_stress": [names], "researchers_stress": [names]};
    the stress lists name the functions at the top value of each side (when it is at least 2).
    (`offers.offer_and_use_from_highest`, which a page calls with each member's highest
    salience summed up by the database.)"""
    names: dict[str, tuple[str, str]] = {}
    rows = []
    for row in members:
        perspective = row.get("perspective", Coding.Perspective.CITY)
        if perspective in MEMBER_SIDES:
            names[row["slug"]] = (row["name"], row["slug"])
            rows.append((perspective, row["code"], row["slug"], row["salience"]))
    return offer_and_use_from_highest(own, highest_per_member(rows), names, codes)


OFFER_SIDE_LABELS = {
    "network": "the network's staff (its own view)",
    "members": "members' informants",
    "researchers": "the researchers' analysis of members",
}
# The codings a bar's panel lists (by salience, then city): the quote table has them all.
OFFER_CODINGS_SHOWN = 10


def offer_evidence(codings: Iterable[Coding], offers: dict, totals: dict[str, int] | None = None) -> list[dict]:
    """The codings behind each bar of the offer-and-use chart (`offer_and_use`'s shape in
    `offers`), bar by bar: [{"anchor", "code", "name", "side", "label", "value" (the bar's
    value or None), "counted": [names of the side's members, or the first of them, as in
    `offers`], "n_counted": how many members the side counts, "unrated" (codings behind the bar
    with no rating: the network's own, or members left out of the mean), "mean_over" (how many
    members the mean is over), "codings": [the first
    OFFER_CODINGS_SHOWN], "more": n left out}]. `codings` are function codings with city, code
    and evidence, in each bar's order (`selectors.offer_codings`); `totals` ({anchor: n}) how
    many codings each bar has when `codings` hold only each bar's first ones."""
    found: dict[str, list[Coding]] = defaultdict(list)
    for coding in codings:
        if coding.city_id is None:
            side = "network"
        else:
            side = MEMBER_SIDES.get(coding.perspective)
        if side is not None:
            found[offer_anchor(coding.code.code, side)].append(coding)
    bars = []
    for function in offers["functions"]:
        for side, label in OFFER_SIDE_LABELS.items():
            anchor = function[f"{side}_anchor"]
            value = function["network_salience" if side == "network" else f"{side}_mean"]
            unrated = int(function["network_unrated"]) if side == "network" else function[f"{side}_unrated"]
            counted = [] if side == "network" else offers[f"{side}_counted"]
            n_counted = 0 if side == "network" else offers[f"{side}_coded"]
            listed = found.get(anchor, [])
            bars.append(
                {
                    "anchor": anchor,
                    "code": function["code"],
                    "name": function["name"],
                    "side": side,
                    "label": label,
                    "value": value,
                    "counted": counted,
                    "n_counted": n_counted,
                    "unrated": unrated,
                    "mean_over": n_counted - unrated if n_counted else 0,
                    "codings": listed[:OFFER_CODINGS_SHOWN],
                    "more": max(0, (len(listed) if totals is None else totals.get(anchor, 0)) - OFFER_CODINGS_SHOWN),
                }
            )
    return bars


def participants_by_subnetwork(subnetworks: Iterable, participations: Iterable) -> dict:
    """Which units of which cities take part where in one network: {"subnetworks": [{"subnetwork",
    "participations": [...]}] in the order of `subnetworks`, "whole": [participations named for
    no sub-network]}. `participations` (with city and source) belong to the network."""
    found: dict[int | None, list] = defaultdict(list)
    for participation in participations:
        found[participation.subnetwork_id].append(participation)
    return {
        "subnetworks": [{"subnetwork": sub, "participations": found.get(sub.pk, [])} for sub in subnetworks],
        "whole": found.get(None, []),
    }


def member_places(memberships: Iterable) -> list[dict]:
    """Member places from membership spells (with city and network), one row per place by
    name: [{"slug", "name", "country", "kind", "latitude", "longitude", "url",
    "networks": [names], "network_slugs": [slugs]}]. Spells that never took effect are left out."""
    return member_places_from_rows(
        (
            membership.city.pk,
            membership.city.slug,
            membership.city.name,
            membership.city.country,
            membership.city.kind,
            membership.city.latitude,
            membership.city.longitude,
            membership.network.slug,
            str(membership.network),
        )
        for membership in memberships
        if membership.took_effect
    )


def member_places_from_rows(rows: Iterable[tuple]) -> list[dict]:
    """`member_places` from spells that took effect as plain tuples (`Membership.objects.
    for_map_rows()`): (city id, slug, name, country, kind, latitude, longitude, network slug,
    network label). Returns the same rows."""
    kinds = dict(City.Kind.choices)
    # One reverse() for all places: the URL differs only by the slug.
    url = reverse("cities:city_detail", args=["slug-placeholder"])
    places: dict[int, dict] = {}
    for pk, slug, name, country, kind, latitude, longitude, network_slug, network_label in rows:
        place = places.get(pk)
        if place is None:
            place = places[pk] = {
                "slug": slug,
                "name": name,
                "country": country,
                "kind": kinds.get(kind, kind),
                "latitude": latitude,
                "longitude": longitude,
                "url": url.replace("slug-placeholder", slug),
                "networks": [],
                "network_slugs": [],
            }
        if network_slug not in place["network_slugs"]:
            place["network_slugs"].append(network_slug)
            place["networks"].append(network_label)
    return sorted(places.values(), key=lambda place: (place["name"], place["country"]))


def engagement_series(observations: Iterable) -> list[dict]:
    """Engagement observations (with network and source) as rows: [{"id", "network",
    "network_slug", "date" (ISO), "when", "level", "level_label", "peak", "approximate",
    "note", "source"}]."""
    return [
        {
            "id": observation.pk,
            "network": str(observation.network),
            "network_slug": observation.network.slug,
            "date": observation.observed_on.isoformat(),
            "when": observation.observed_display,
            "level": observation.level,
            "level_label": observation.get_level_display(),
            "peak": observation.is_peak,
            "approximate": observation.approximate,
            "note": observation.note,
            "source": f"{observation.source}, {observation.locator}"
            if observation.locator
            else str(observation.source),
        }
        for observation in observations
    ]


def comembership_graph(networks: Iterable) -> dict:
    """The bipartite graph of networks, their sub-networks and their member places.

    `networks` come from `Network.objects.for_graph()`. Returns {"nodes": [{"id", "kind"
    ("network", "subnetwork" or "city"), "label", "url" (None for a sub-network),
    "network_count" (for a city)}], "edges": [{"source", "target", "source_label",
    "target_label", "kind" ("member", "subnetwork", "takes_part" or "shares_members"),
    "weight"}], "shared": [{"a", "b", "count"}]}: `shared` counts the places two networks
    have in common. Node ids are "network:<slug>", "subnetwork:<network>/<slug>", "city:<slug>".
    """
    nodes: dict[str, dict] = {}
    edges: list[dict] = []
    members: dict[str, set[str]] = {}
    for network in networks:
        network_id = f"network:{network.slug}"
        nodes[network_id] = {
            "id": network_id,
            "kind": "network",
            "label": str(network),
            "url": network.get_absolute_url(),
        }
        members[network_id] = set()
        for subnetwork in network.subnetworks.all():
            sub_id = f"subnetwork:{network.slug}/{subnetwork.slug}"
            nodes[sub_id] = {"id": sub_id, "kind": "subnetwork", "label": subnetwork.name, "url": None}
            edges.append({"source": network_id, "target": sub_id, "kind": "subnetwork", "weight": 1})
        for membership in network.memberships.all():
            city_id = f"city:{membership.city.slug}"
            nodes.setdefault(
                city_id,
                {
                    "id": city_id,
                    "kind": "city",
                    "label": membership.city.name,
                    "url": membership.city.get_absolute_url(),
                },
            )
            if city_id not in members[network_id]:
                members[network_id].add(city_id)
                edges.append({"source": city_id, "target": network_id, "kind": "member", "weight": 1})
        for participation in network.participations.all():
            city_id = f"city:{participation.city.slug}"
            nodes.setdefault(
                city_id,
                {
                    "id": city_id,
                    "kind": "city",
                    "label": participation.city.name,
                    "url": participation.city.get_absolute_url(),
                },
            )
            sub_id = f"subnetwork:{network.slug}/{participation.subnetwork.slug}"
            edges.append({"source": city_id, "target": sub_id, "kind": "takes_part", "weight": 1})
    for edge in edges:
        edge["source_label"] = nodes[edge["source"]]["label"]
        edge["target_label"] = nodes[edge["target"]]["label"]
    for node in nodes.values():
        if node["kind"] == "city":
            node["network_count"] = sum(node["id"] in cities for cities in members.values())
    shared = []
    network_ids = list(members)
    for position, a in enumerate(network_ids):
        for b in network_ids[position + 1 :]:
            count = len(members[a] & members[b])
            if count:
                shared.append({"a": nodes[a]["label"], "b": nodes[b]["label"], "count": count})
                edges.append(
                    {
                        "source": a,
                        "target": b,
                        "source_label": nodes[a]["label"],
                        "target_label": nodes[b]["label"],
                        "kind": "shares_members",
                        "weight": count,
                    }
                )
    return {"nodes": list(nodes.values()), "edges": edges, "shared": shared}


def graph_matches(graph: dict, query: str) -> list[dict]:
    """The nodes of a `comembership_graph` whose label contains `query` (ignoring case),
    by label, each with its neighbours: [{"id", "kind", "label", "url", "neighbours":
    [{"label", "url", "kind"}]}]. No query, no matches."""
    needle = query.strip().lower()
    if not needle:
        return []
    nodes = {node["id"]: node for node in graph["nodes"]}
    linked: dict[str, list[dict]] = defaultdict(list)
    for edge in graph["edges"]:
        if edge["kind"] == "shares_members":
            continue
        linked[edge["source"]].append(nodes[edge["target"]])
        linked[edge["target"]].append(nodes[edge["source"]])
    matches = [node for node in graph["nodes"] if needle in node["label"].lower()]
    return [
        {
            **node,
            "neighbours": [
                {"label": other["label"], "url": other["url"], "kind": other["kind"]}
                for other in sorted(linked[node["id"]], key=lambda other: other["label"])
            ],
        }
        for node in sorted(matches, key=lambda node: node["label"])
    ]


def portfolio_flat_rows(grid: dict) -> list[dict]:
    """A `portfolio_grid` as one row per network x code, for CSV: {"network", "network_slug",
    "code", "code_kind", "salience" (empty if not coded), "served_by_several", "served_by_none"}."""
    overlapping = {overlap["code"] for overlap in grid["overlaps"]}
    gaps = {gap["code"] for gap in grid["gaps"]}
    return [
        {
            "network": row["network"]["name"],
            "network_slug": row["network"]["slug"],
            "code": cell["code"],
            "code_kind": cell["kind"],
            "salience": cell["salience"],
            "served_by_several": cell["code"] in overlapping,
            "served_by_none": cell["code"] in gaps,
        }
        for row in grid["rows"]
        for cell in row["cells"]
    ]
