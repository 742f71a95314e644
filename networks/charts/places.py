"""Where members are: the member map and the co-membership graph."""

import math
from collections import defaultdict

from networks.charts.style import ACCENT
from networks.charts.style import GOLDEN_ANGLE
from networks.charts.style import INK
from networks.charts.style import NETWORK_SIDE
from networks.charts.style import PALETTE
from networks.charts.style import base_layout


def member_map_figure(places: list[dict], narrow: bool = False) -> dict:
    """Member places (`member_places`) on a world map: one trace per set of networks a place
    belongs to; places without coordinates are left out. `customdata` is the place's URL.
    The map zooms to the members when they span less than half the globe; `narrow` (a phone)
    starts closer in on a taller map, so it is no thin strip. It pans by dragging and zooms
    with its buttons (static/js/citynet.js)."""
    traces, fit = _member_traces(places)
    return {"data": traces, "layout": _member_map_layout(len(traces), fit, narrow)}


def member_map_figures(places: list[dict]) -> tuple[dict, dict]:
    """`member_map_figure` for a wide screen, and for a narrow one only its layout
    ({"layout": {...}}, no "data"): the page script draws the narrow map with the wide one's
    data, so a page carries each place once (a network of 10,000 members is 0.9 MB of it)."""
    traces, fit = _member_traces(places)
    wide = {"data": traces, "layout": _member_map_layout(len(traces), fit, narrow=False)}
    return wide, {"layout": _member_map_layout(len(traces), fit, narrow=True)}


def _member_traces(places: list[dict]) -> tuple[list[dict], bool]:
    """The map's traces, and whether to fit the map to them (they span under half the globe)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for place in places:
        if place["latitude"] is not None and place["longitude"] is not None:
            groups[" & ".join(place["networks"])].append(place)
    traces = []
    for index, (networks, members) in enumerate(sorted(groups.items(), key=lambda item: (" & " in item[0], item[0]))):
        traces.append(
            {
                "type": "scattergeo",
                "name": networks,
                "lat": [place["latitude"] for place in members],
                "lon": [place["longitude"] for place in members],
                "mode": "markers",
                "marker": {
                    "size": 8,
                    "color": PALETTE[index % len(PALETTE)],
                    "line": {"color": "#ffffff", "width": 0.6},
                    "opacity": 0.9,
                },
                "customdata": [place["url"] for place in members],
                "hovertext": [
                    f"<b>{place['name']}</b> ({place['country']})<br>{place['kind']}<br>{' & '.join(place['networks'])}"
                    for place in members
                ],
                "hoverinfo": "text",
            }
        )
    longitudes = [place["longitude"] for members in groups.values() for place in members]
    return traces, len(longitudes) > 1 and max(longitudes) - min(longitudes) < 180


def _member_map_layout(n_traces: int, fit: bool, narrow: bool) -> dict:
    geo = {
        "projection": {"type": "natural earth"},
        "showland": True,
        "landcolor": "#eef1f5",
        "showcountries": True,
        "countrycolor": "#c3cad6",
        "coastlinecolor": "#aab3c2",
        "showocean": True,
        "oceancolor": "#f7fafd",
        "showframe": False,
        "fitbounds": "locations" if fit else False,
        "resolution": 110,
    }
    if not fit and narrow:
        # On a phone the whole world is a thin strip: start closer in, over Europe and Africa
        # (pan and the zoom buttons reach the rest).
        geo.update(lonaxis={"range": [-30, 60]}, lataxis={"range": [-38, 72]})
    elif not fit:
        # The whole world, less Antarctica (no member there).
        geo["lataxis"] = {"range": [-58, 85]}
    return base_layout(
        height=(380 if narrow else 460) + (40 if narrow and n_traces > 1 else 0),
        showlegend=n_traces > 1,
        # On a phone the legend goes under the map, clear of the zoom buttons.
        legend={"orientation": "h", "x": 0, "y": 0 if narrow else 1.0, "yanchor": "top" if narrow else "bottom"},
        margin={"l": 0, "r": 0, "t": 0 if narrow else (30 if n_traces > 1 else 0), "b": 0},
        dragmode="pan",
        geo=geo,
    )


def _sunflower(centre: tuple[float, float], count: int, spacing: float, hole: float) -> list[tuple[float, float]]:
    """`count` evenly spread points in a disc around `centre`, leaving a hole in the middle."""
    points = []
    for index in range(count):
        radius = spacing * math.sqrt(index + hole)
        angle = index * GOLDEN_ANGLE
        points.append((centre[0] + radius * math.cos(angle), centre[1] + radius * math.sin(angle)))
    return points


def graph_layout(graph: dict, spacing: float = 0.06) -> dict[str, tuple[float, float]]:
    """Positions for a `comembership_graph`: networks on a circle, each network's own
    members in a disc around it, places shared by several networks in a disc between them,
    sub-networks in an arc outside their network. Deterministic; O(nodes)."""
    networks = [node["id"] for node in graph["nodes"] if node["kind"] == "network"]
    labels = {node["id"]: node["label"] for node in graph["nodes"]}
    belongs: dict[str, set[str]] = defaultdict(set)
    for edge in graph["edges"]:
        if edge["kind"] == "member":
            belongs[edge["source"]].add(edge["target"])
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for node in graph["nodes"]:
        if node["kind"] == "city":
            groups[tuple(sorted(belongs[node["id"]]))].append(node["id"])
    hole = 6

    def radius(count: int) -> float:
        return spacing * math.sqrt(count + hole) + 0.08

    own = {network: radius(len(groups.get((network,), []))) for network in networks}
    widest_shared = max((radius(len(cities)) for key, cities in groups.items() if len(key) != 1), default=0.0)
    positions: dict[str, tuple[float, float]] = {}
    count = len(networks)
    if count == 1:
        positions[networks[0]] = (0.0, 0.0)
    elif count > 1:
        chord = max(own[networks[i]] + own[networks[(i + 1) % count]] for i in range(count))
        circle = (chord + 2 * widest_shared + 0.3) / (2 * math.sin(math.pi / count))
        for index, network in enumerate(networks):
            angle = math.pi - 2 * math.pi * index / count
            positions[network] = (circle * math.cos(angle), circle * math.sin(angle))
    for key, cities in sorted(groups.items()):
        cities.sort(key=lambda city: labels[city])
        anchors = [positions[network] for network in key if network in positions]
        centre = (
            (sum(x for x, _ in anchors) / len(anchors), sum(y for _, y in anchors) / len(anchors))
            if anchors
            else (0.0, 0.0)
        )
        points = _sunflower(centre, len(cities), spacing, hole if len(key) == 1 else 0.5)
        positions.update(zip(cities, points, strict=True))
    children: dict[str, list[str]] = defaultdict(list)
    for edge in graph["edges"]:
        if edge["kind"] == "subnetwork":
            children[edge["source"]].append(edge["target"])
    for network, subnetworks in children.items():
        x, y = positions[network]
        outward = math.atan2(y, x) if (x, y) != (0.0, 0.0) else math.pi / 2
        distance = own.get(network, 0.3) + 0.25
        for index, subnetwork in enumerate(subnetworks):
            angle = outward + (index - (len(subnetworks) - 1) / 2) * 0.32
            positions[subnetwork] = (x + distance * math.cos(angle), y + distance * math.sin(angle))
    return positions


def network_graph_figure(graph: dict, query: str = "", narrow: bool = False) -> dict:
    """The bipartite graph (`comembership_graph`) of networks, sub-networks and places.

    All nodes are one trace (named "nodes") whose `customdata` is [url, [neighbour
    indexes]] so the page script can highlight a node's neighbours on hover; a trace named
    "highlight" starts empty for the lines it draws. Nodes whose label contains `query`
    (case-insensitive) are enlarged and labelled, the others dimmed. `narrow` stands the
    layout on end (networks one above the other) for a phone."""
    positions = graph_layout(graph)
    if narrow:
        positions = {node: (-y, -x) for node, (x, y) in positions.items()}
    nodes = graph["nodes"]
    index_of = {node["id"]: index for index, node in enumerate(nodes)}
    neighbours: dict[int, set[int]] = defaultdict(set)
    for edge in graph["edges"]:
        a, b = index_of[edge["source"]], index_of[edge["target"]]
        if edge["kind"] != "shares_members":
            neighbours[a].add(b)
            neighbours[b].add(a)
    needle = query.strip().lower()
    matched = {index for index, node in enumerate(nodes) if needle and needle in node["label"].lower()}

    def line_trace(kinds: set[str], name: str, line: dict) -> dict:
        xs, ys = [], []
        for edge in graph["edges"]:
            if edge["kind"] in kinds:
                (x0, y0), (x1, y1) = positions[edge["source"]], positions[edge["target"]]
                xs += [x0, x1, None]
                ys += [y0, y1, None]
        return {
            "type": "scatter",
            "x": xs,
            "y": ys,
            "mode": "lines",
            "name": name,
            "line": line,
            "hoverinfo": "skip",
            "showlegend": False,
        }

    traces = [
        line_trace({"member"}, "membership", {"color": "rgba(91,100,117,0.22)", "width": 0.7}),
        line_trace(
            {"subnetwork", "takes_part"}, "sub-network", {"color": "rgba(194,87,26,0.6)", "width": 1, "dash": "dot"}
        ),
    ]
    sizes, colours, symbols, texts, hover, opacity, customdata = [], [], [], [], [], [], []
    for index, node in enumerate(nodes):
        kind = node["kind"]
        if kind == "network":
            # Networks are named by annotations with a background (below), legible over their members.
            size, colour, symbol, text = 26, NETWORK_SIDE, "square", ""
            detail = f"Network · {len(neighbours[index])} links"
        elif kind == "subnetwork":
            size, colour, symbol, text = 12, "#e8a87c", "diamond", "" if narrow else node["label"]
            detail = "Sub-network"
        else:
            several = node.get("network_count", 0) > 1
            size, colour, symbol, text = (11, ACCENT, "circle", "") if several else (7, "#7fb0e0", "circle", "")
            named = ", ".join(nodes[other]["label"] for other in sorted(neighbours[index]))
            detail = f"Member of {named}" if named else "No membership"
        if index in matched:
            size, text = size + 8, node["label"]
        sizes.append(size)
        colours.append("#d55e00" if index in matched else colour)
        symbols.append(symbol)
        texts.append(text)
        hover.append(f"<b>{node['label']}</b><br>{detail}")
        opacity.append(1.0 if not needle or index in matched or kind == "network" else 0.3)
        customdata.append([node["url"] or "", sorted(neighbours[index])])
    traces.append(
        {
            "type": "scatter",
            "name": "nodes",
            "x": [positions[node["id"]][0] for node in nodes],
            "y": [positions[node["id"]][1] for node in nodes],
            "mode": "markers+text",
            "text": texts,
            "textposition": "top center",
            "textfont": {"size": 12},
            "marker": {
                "size": sizes,
                "color": colours,
                "symbol": symbols,
                "opacity": opacity,
                "line": {"color": "#ffffff", "width": 0.8},
            },
            "hovertext": hover,
            "hoverinfo": "text",
            "customdata": customdata,
            "showlegend": False,
        }
    )
    traces.append(
        {
            "type": "scatter",
            "x": [],
            "y": [],
            "mode": "lines",
            "name": "highlight",
            "line": {"color": "#d55e00", "width": 1.6},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )
    for name, colour, symbol in [
        ("Network", NETWORK_SIDE, "square"),
        ("Sub-network", "#e8a87c", "diamond"),
        ("Place in one network", "#7fb0e0", "circle"),
        ("Place in several networks", ACCENT, "circle"),
    ]:
        traces.append(
            {
                "type": "scatter",
                "x": [None],
                "y": [None],
                "mode": "markers",
                "name": name,
                "marker": {"color": colour, "symbol": symbol, "size": 10},
            }
        )
    annotations = [
        {
            "x": positions[node["id"]][0],
            "y": positions[node["id"]][1],
            "text": f"<b>{node['label']}</b>",
            "showarrow": False,
            "yshift": 22,
            "font": {"color": INK, "size": 14},
            "bgcolor": "rgba(255,255,255,0.9)",
        }
        for node in nodes
        if node["kind"] == "network"
    ]
    for edge in graph["edges"]:
        if edge["kind"] == "shares_members":
            (x0, y0), (x1, y1) = positions[edge["source"]], positions[edge["target"]]
            # The label sits just outside the cluster of shared members: above it, or beside it
            # when the layout stands on end.
            axis = 0 if narrow else 1
            both = [
                positions[nodes[index]["id"]][axis]
                for index in neighbours[index_of[edge["source"]]] & neighbours[index_of[edge["target"]]]
            ]
            edge_of_cluster = max(both, default=((x0 + x1) / 2, (y0 + y1) / 2)[axis]) + 0.08
            annotations.append(
                {
                    "x": edge_of_cluster if narrow else (x0 + x1) / 2,
                    "y": (y0 + y1) / 2 if narrow else edge_of_cluster,
                    "text": f"{edge['weight']} shared member{'s' if edge['weight'] != 1 else ''}",
                    "showarrow": False,
                    "xanchor": "left" if narrow else "center",
                    "yanchor": "middle" if narrow else "bottom",
                    "font": {"color": INK, "size": 12},
                    "bgcolor": "rgba(255,255,255,0.85)",
                }
            )
    layout = base_layout(
        height=760 if narrow else 560,
        showlegend=True,
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        margin={"l": 0, "r": 0, "t": 30, "b": 0},
        annotations=annotations,
        hovermode="closest",
        dragmode="pan",
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1},
    )
    return {"data": traces, "layout": layout}
