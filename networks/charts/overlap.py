"""Charts of many networks at once: which networks share members (a sorted overlap matrix, and
the largest pairs as bars for narrow screens) and members per year."""

from networks.charts.style import ACCENT
from networks.charts.style import LINE
from networks.charts.style import MUTED
from networks.charts.style import PALETTE
from networks.charts.style import base_layout

LABEL_MAX = 22
PAIRS_SHOWN = 15
DASHES = ["solid", "dash", "dot", "dashdot"]


def _short(label: str, limit: int = LABEL_MAX) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _members(count: int) -> str:
    return f"{count:,} member{'s' if count != 1 else ''}"


def overlap_figure(overlap: dict) -> dict:
    """The overlap matrix (`networks.overlap.network_overlap` with each cell's "url"): the
    networks largest first down and across, each cell the places the two share, coloured by
    their share of the row network's members, so a small network inside a large one reads
    as a dark row. The diagonal (a network with itself) is left blank. Counts are written in
    the cells up to 30 networks; beyond that they are in the hover and the table. A cell's
    customdata is the URL listing the shared members."""
    networks, cells = overlap["networks"], overlap["cells"]
    n = len(networks)
    labels = [f"{_short(network['label'])} ({network['members']:,})" for network in networks]
    z, text, hover, links = [], [], [], []
    for i, (row, network) in enumerate(zip(cells, networks, strict=True)):
        z.append([None if i == j else cell["share"] for j, cell in enumerate(row)])
        text.append([cell["shared"] if cell["shared"] and i != j else "" for j, cell in enumerate(row)])
        hover.append(
            [
                f"<b>{network['name']}</b>: {_members(network['members'])}<br>Click for the list"
                if i == j
                else f"<b>{network['label']} and {other['label']}</b><br>{cell['shared']:,} places in both<br>"
                f"{cell['share']:.0%} of {network['label']}'s {network['members']:,} members<br>Click for the list"
                for j, (cell, other) in enumerate(zip(row, networks, strict=True))
            ]
        )
        links.append([cell.get("url", "") for cell in row])
    font_size = 12 if n <= 15 else 10 if n <= 30 else 1
    heatmap = {
        "type": "heatmap",
        "z": z,
        "x": list(range(n)),
        "y": list(range(n)),
        "text": text,
        "texttemplate": "%{text}" if n <= 30 else "",
        "textfont": {"size": font_size},
        "hovertext": hover,
        "hoverinfo": "text",
        "hoverongaps": True,
        "customdata": links,
        "colorscale": [[0, "#f4f6fa"], [1, ACCENT]],
        "zmin": 0,
        "zmax": 1,
        "xgap": 1,
        "ygap": 1,
        "colorbar": {
            "title": {"text": "share of the<br>row's members", "font": {"size": 11}},
            "tickformat": ".0%",
            "thickness": 10,
            "len": min(1, 240 / max(n * 22, 1)),
            "y": 1,
            "yanchor": "top",
        },
    }
    ticks = {"tickvals": list(range(n)), "ticktext": labels, "tickfont": {"size": 11}, "automargin": True}
    layout = base_layout(
        height=max(320, 22 * n + 190),
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        xaxis={"side": "top", "tickangle": -50, "showgrid": False, "zeroline": False, **ticks},
        yaxis={"autorange": "reversed", "showgrid": False, "zeroline": False, **ticks},
    )
    return {"data": [heatmap], "layout": layout}


def overlap_pairs_figure(pairs: list[dict], shown: int = PAIRS_SHOWN) -> dict:
    """The `shown` pairs of networks with the most members in common (`overlap_pairs`, each
    with its "url") as horizontal bars, most first: the overlap for a narrow screen, where a
    matrix of 30 networks cannot be read. A bar's customdata is the URL of the shared members."""
    top = pairs[:shown]
    labels = [f"{_short(pair['a'], 12)} & {_short(pair['b'], 12)}" for pair in top]
    bars = {
        "type": "bar",
        "x": [pair["shared"] for pair in top],
        "y": labels,
        "orientation": "h",
        "marker": {"color": ACCENT},
        "text": [f"{pair['shared']:,}" for pair in top],
        "textposition": "auto",
        "customdata": [pair.get("url", "") for pair in top],
        "hovertext": [
            f"<b>{pair['a']} and {pair['b']}</b><br>{pair['shared']:,} places in both<br>"
            f"{pair['share_of_a']:.0%} of {pair['a']}, {pair['share_of_b']:.0%} of {pair['b']}"
            "<br>Click for the list"
            for pair in top
        ],
        "hoverinfo": "text",
    }
    layout = base_layout(
        height=max(200, 30 * len(top) + 70),
        margin={"l": 8, "r": 8, "t": 8, "b": 40},
        xaxis={"title": {"text": "places in both", "font": {"size": 12, "color": MUTED}}, "gridcolor": LINE},
        yaxis={"autorange": "reversed", "automargin": True, "tickfont": {"size": 11}},
    )
    return {"data": [bars], "layout": layout}


def timeline_figure(timeline: dict, narrow: bool = False) -> dict:
    """Members per year (`networks.overlap.membership_timeline`), one line per network (colour
    and dash, so ten lines stay apart without colour). A point's customdata is the id of its
    year's row in the table ("year-2014"); `narrow` puts the legend under the chart."""
    traces = []
    for index, network in enumerate(timeline["networks"]):
        points = timeline["series"][network["id"]]
        traces.append(
            {
                "type": "scatter",
                "name": _short(network["label"]),
                "x": [point["year"] for point in points],
                "y": [point["members"] for point in points],
                "mode": "lines",
                "line": {
                    "color": PALETTE[index % len(PALETTE)],
                    "dash": DASHES[(index // len(PALETTE) + index) % len(DASHES)],
                    "width": 2,
                },
                "customdata": [f"year-{point['year']}" for point in points],
                "hovertext": [
                    f"<b>{network['label']}, {point['year']}</b><br>{_members(point['members'])}"
                    f"<br>{point['joined']:,} joined, {point['left']:,} left"
                    for point in points
                ],
                "hoverinfo": "text",
            }
        )
    legend = (
        {"orientation": "h", "x": 0, "y": -0.15, "yanchor": "top"}
        if narrow
        else {"orientation": "v", "x": 1.02, "y": 1, "yanchor": "top"}
    )
    layout = base_layout(
        height=460 + (18 * len(traces) if narrow else 0),
        showlegend=True,
        legend={**legend, "font": {"size": 11}},
        margin={"l": 8, "r": 8, "t": 16, "b": 8},
        hovermode="closest",
        xaxis={"gridcolor": LINE, "automargin": True, "tickformat": "d"},
        yaxis={
            "gridcolor": LINE,
            "rangemode": "tozero",
            "automargin": True,
            "title": {"text": "members", "font": {"color": MUTED}},
        },
    )
    return {"data": traces, "layout": layout}
