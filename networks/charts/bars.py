"""Bar and line charts: what a network offers against what its members use, engagement over time,
two cities side by side, and the logics of participation."""

from collections import defaultdict

from networks.charts.style import ACCENT
from networks.charts.style import LINE
from networks.charts.style import MUTED
from networks.charts.style import NETWORK_SIDE
from networks.charts.style import OUTCOME_WORDS
from networks.charts.style import PALETTE
from networks.charts.style import base_layout
from networks.charts.style import short_label
from networks.salience import UNRATED_LABEL
from networks.salience import UNRATED_MARK
from networks.salience import salience_label

RESEARCHER_SIDE = "#6b7f99"
# Members named in a bar's hover, highest salience first: a network of 10,000 members would
# otherwise put thousands of names in one tooltip (and half a megabyte in the page).
HOVER_NAMES = 20


def _named(names: list[str], limit: int = 4, total: int | None = None) -> str:
    # `names` may be the first of `total` (a page of a large network carries only those).
    total = len(names) if total is None else total
    named = names[:limit]
    shown = ", ".join(named)
    return f"{shown} and {total - len(named)} more" if total > len(named) else shown


def _side_text(mean: float | None, mentioning: int, unrated: int = 0) -> str:
    # A side that codes no member says so, and a function none of its members names says
    # "not named", never a bare 0 that reads as a measured absence; one its members name
    # only without a rating says "not rated".
    if mean is None:
        return "not rated" if unrated else "not coded"
    if mentioning == 0:
        return "not named"
    return f"{mean:.1f}" + (f" ({unrated} not rated)" if unrated else "")


def _network_text(function: dict) -> str:
    if function["network_salience"] is not None:
        return str(function["network_salience"])
    return "not rated" if function.get("network_unrated") else "not coded"


def offer_and_use_figure(comparison: dict) -> dict:
    """A network's own view beside its members' (`offer_and_use`): per function, the salience
    the network's staff give it, the mean salience members' informants give it and the mean
    in the researchers' analysis of members, each side naming the members it counts (a member
    naming it without a rating is left out of the mean, and the bar says how many). Each
    bar's customdata is the HTML id of its evidence (`offer_evidence`). The lists of names in
    `comparison` may be the first of each (`offer_and_use_from_highest`'s `shown`): the counts
    say how many there are."""
    functions = comparison["functions"]
    labels = [short_label(function) for function in functions]
    network_hover = [
        f"<b>{function['name']}</b><br>The network's staff: "
        + (
            _network_text(function)
            if function["network_salience"] is None
            else f"{function['network_salience']} ({salience_label(function['network_salience'])})"
        )
        + "<br>Click for the evidence"
        for function in functions
    ]
    traces = [
        {
            "type": "bar",
            "name": "The network's staff: what it offers",
            "y": labels,
            "x": [function["network_salience"] for function in functions],
            "orientation": "h",
            "marker": {"color": NETWORK_SIDE},
            "hovertext": network_hover,
            "hoverinfo": "text",
            "text": [_network_text(function) for function in functions],
            "textposition": "outside",
            "customdata": [function["network_anchor"] for function in functions],
        }
    ]
    sides = [
        ("members", "Members' informants", ACCENT),
        ("researchers", "Researchers' analysis of members", RESEARCHER_SIDE),
    ]
    for side, title, colour in sides:
        n, counted = comparison[f"{side}_coded"], comparison[f"{side}_counted"]
        if not n:
            continue
        hover = []
        for function in functions:
            members, mentioning = function[side][:HOVER_NAMES], function[f"{side}_mentioning"]
            named = ", ".join(
                f"{member['name']} {'not rated' if member['salience'] is None else member['salience']}"
                for member in members
            )
            if mentioning > len(members):
                named += f" and {mentioning - len(members):,} more (the table's CSV lists them all)"
            named = named or "none"
            unrated = function.get(f"{side}_unrated", 0)
            hover.append(
                f"<b>{function['name']}</b><br>{title}: mean {_side_text(function[f'{side}_mean'], 1, unrated)}"
                f" over {n - unrated} ({_named(counted, total=n)}; a member not naming it counts 0"
                + (f"; {unrated} naming it without a rating left out" if unrated else "")
                + ")"
                f"<br>Named by: {named}<br>Click for the evidence"
            )
        traces.append(
            {
                "type": "bar",
                "name": f"{title}:<br>mean over {n} ({_named(counted, 3, n)})",
                "y": labels,
                "x": [function[f"{side}_mean"] or 0 for function in functions],
                "orientation": "h",
                "marker": {"color": colour},
                "hovertext": hover,
                "hoverinfo": "text",
                "text": [
                    _side_text(
                        function[f"{side}_mean"], function[f"{side}_mentioning"], function.get(f"{side}_unrated", 0)
                    )
                    for function in functions
                ],
                "textposition": "outside",
                "customdata": [function[f"{side}_anchor"] for function in functions],
            }
        )
    layout = with_salience_axis(
        base_layout(
            barmode="group",
            height=160 + 22 * len(traces) * max(1, len(functions)),
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "traceorder": "normal"},
            margin={"l": 8, "r": 16, "t": 120, "b": 8},
            bargap=0.25,
            hovermode="closest",
        )
    )
    # Room on the right for "not named" beside a bar of 3.
    layout["xaxis"]["range"] = [0, 3.9]
    return {"data": traces, "layout": layout}


def engagement_figure(rows: list[dict]) -> dict:
    """Engagement over time (`engagement_series`): the observations as points, one colour per
    network, level 0..3, with no line between them (the sources report nothing in between, so
    a line would invent a steady change); a star marks the peak a source names, an open marker
    a date the source gives as approximate. Each point's customdata is its table row's id."""
    by_network: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_network[row["network"]].append(row)
    traces = []
    for index, (network, points) in enumerate(by_network.items()):
        points.sort(key=lambda point: point["date"])
        trace = {
            "type": "scatter",
            "name": network,
            "x": [point["date"] for point in points],
            "y": [point["level"] for point in points],
            "mode": "markers",
            "marker": {
                "size": [18 if point["peak"] else 11 for point in points],
                "symbol": [
                    ("star" if point["peak"] else "circle") + ("-open" if point["approximate"] else "")
                    for point in points
                ],
                "color": PALETTE[index % len(PALETTE)],
                "line": {"width": 2, "color": PALETTE[index % len(PALETTE)]},
            },
            "hovertext": [
                f"<b>{network}, {point['when']}</b><br>{point['level_label']}"
                f"{' (the peak)' if point['peak'] else ''}<br>{point['source']}"
                for point in points
            ],
            "hoverinfo": "text",
        }
        customdata = [f"engagement-{point['id']}" for point in points if "id" in point]
        if customdata:
            trace["customdata"] = customdata
        traces.append(trace)
    layout = base_layout(
        height=320,
        showlegend=True,
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        margin={"l": 8, "r": 16, "t": 40, "b": 40},
        annotations=[
            {
                "text": "Points are what the sources report; nothing is reported between them.",
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -0.22,
                "showarrow": False,
                "xanchor": "left",
                "font": {"size": 11, "color": MUTED},
            }
        ],
        xaxis={"type": "date", "gridcolor": LINE, "automargin": True, "fixedrange": True},
        yaxis={
            "range": [-0.3, 3.4],
            "tickvals": [0, 1, 2, 3],
            "ticktext": ["None", "Low", "Moderate", "High"],
            "gridcolor": LINE,
            "automargin": True,
            "fixedrange": True,
        },
    )
    years = sorted(int(row["date"][:4]) for row in rows)
    if years:
        layout["xaxis"]["range"] = [f"{years[0] - 1}-07-01", f"{years[-1] + 1}-06-30"]
    return {"data": traces, "layout": layout}


def city_pair_figure(grid: dict, slugs: list[str]) -> dict:
    """Two cities side by side (a `matrix_grid` of their codings): per code, one bar per
    city x network, coloured and ordered by the city's place in `slugs`; `customdata`
    holds the evidence anchor. A cell coded but not rated has no bar, only its mark."""
    labels = [short_label(column) for column in grid["codes"]]
    order = {slug: index for index, slug in enumerate(slugs)}
    traces = []
    for row in sorted(grid["rows"], key=lambda row: (order.get(row["city"]["slug"], len(order)), row["label"])):
        colour = PALETTE[slugs.index(row["city"]["slug"]) % len(PALETTE)] if row["city"]["slug"] in slugs else MUTED
        name = f"{row['city']['name']} · {row['network']['acronym'] or row['network']['name']}"
        traces.append(
            {
                "type": "bar",
                "name": name,
                "y": labels,
                "x": [cell["cell"]["salience"] if cell["cell"] else None for cell in row["cells"]],
                "text": [_pair_text(cell["cell"]) for cell in row["cells"]],
                "textposition": "outside",
                "cliponaxis": False,
                "orientation": "h",
                "marker": {"color": colour, "line": {"color": "#ffffff", "width": 1}},
                "customdata": [cell["anchor"] if cell["cell"] else "" for cell in row["cells"]],
                "hovertext": [
                    f"<b>{name}</b> × {cell['name']}<br>"
                    + (
                        _pair_hover(cell["cell"]["salience"]) + "<br>"
                        f"Outcome: {OUTCOME_WORDS.get(cell['cell']['outcome'], '?')} · click to read"
                        if cell["cell"]
                        else "not coded"
                    )
                    for cell in row["cells"]
                ],
                "hoverinfo": "text",
            }
        )
    layout = base_layout(
        barmode="group",
        height=140 + 34 * len(labels) * max(1, len(traces)) // 2 + 40,
        showlegend=True,
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        margin={"l": 8, "r": 16, "t": 50, "b": 8},
    )
    return {"data": traces, "layout": with_salience_axis(layout)}


def _pair_text(cell: dict | None) -> str | None:
    if cell is None:
        return None
    return UNRATED_MARK if cell["salience"] is None else str(cell["salience"])


def _pair_hover(salience: int | None) -> str:
    return UNRATED_LABEL.capitalize() if salience is None else f"Salience {salience}: {salience_label(salience)}"


def logics_figure(rows: list[dict]) -> dict:
    """Each city x network (`logic_weights`) placed by its strategic weight (x) and its
    legitimacy weight (y), sized by evidence, coloured by network. Points that would sit on
    top of each other are spread vertically a little (hover gives the exact values);
    `customdata` holds the id of the quotes behind the point's logics ("evidence_anchor"),
    which a click opens in the evidence panel."""
    stacks: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        stacks[(row["strategic"], row["legitimacy"])].append(index)
    nudge = [0.0] * len(rows)
    for members in stacks.values():
        for position, index in enumerate(members):
            nudge[index] = (position - (len(members) - 1) / 2) * 0.3
    # Labels go above a point, below it when it is the lower of a stack or close to the
    # point labelled before it, so that neighbouring labels do not collide.
    above = [nudge[index] >= 0 for index in range(len(rows))]
    previous = None
    for index in sorted(range(len(rows)), key=lambda index: (rows[index]["strategic"], nudge[index])):
        if previous is not None and nudge[index] == 0 and nudge[previous] == 0:
            close = abs(rows[index]["strategic"] - rows[previous]["strategic"]) <= 1.5
            if close and rows[index]["legitimacy"] == rows[previous]["legitimacy"] and above[previous]:
                above[index] = False
        previous = index
    largest = max((row["evidence_count"] for row in rows), default=1) or 1
    by_network: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_network[row["network"]["acronym"] or row["network"]["name"]].append(index)
    traces = []
    for colour_index, (network, indexes) in enumerate(by_network.items()):
        traces.append(
            {
                "type": "scatter",
                "name": network,
                "x": [rows[i]["strategic"] for i in indexes],
                "y": [rows[i]["legitimacy"] + nudge[i] for i in indexes],
                "mode": "markers+text",
                "text": [rows[i]["city"]["name"] for i in indexes],
                "textposition": ["top center" if above[i] else "bottom center" for i in indexes],
                "cliponaxis": False,
                "marker": {
                    "size": [max(rows[i]["evidence_count"], 1) for i in indexes],
                    "sizemode": "area",
                    "sizeref": 2 * largest / 32**2,
                    "sizemin": 6,
                    "color": PALETTE[colour_index % len(PALETTE)],
                    "opacity": 0.85,
                    "line": {"color": "#ffffff", "width": 1},
                },
                "customdata": [rows[i]["evidence_anchor"] for i in indexes],
                "hovertext": [
                    f"<b>{rows[i]['label']}</b><br>Strategic weight {rows[i]['strategic']} "
                    f"(functions {rows[i]['functions']}, consequences "
                    f"{'not coded' if rows[i]['consequences'] is None else rows[i]['consequences']})<br>"
                    f"Legitimacy weight {rows[i]['legitimacy']}<br>"
                    + (
                        f"{rows[i]['unrated']} coded, not rated: left out of the weights<br>"
                        if rows[i].get("unrated")
                        else ""
                    )
                    + f"Evidence: {rows[i]['evidence_count']} items · click for the quotes"
                    for i in indexes
                ],
                "hoverinfo": "text",
            }
        )
    top_x = max((row["strategic"] for row in rows), default=3)
    top_y = max((row["legitimacy"] for row in rows), default=3)
    layout = base_layout(
        height=420,
        showlegend=True,
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "itemsizing": "constant"},
        margin={"l": 8, "r": 8, "t": 40, "b": 8},
        xaxis={
            "title": {"text": "Strategic weight →"},
            "range": [-0.5, top_x + 3],
            "gridcolor": LINE,
            "zeroline": False,
            "automargin": True,
            "fixedrange": True,
        },
        yaxis={
            "title": {"text": "Legitimacy weight →"},
            "range": [-0.5, max(3, top_y) + 0.7],
            "dtick": 1,
            "gridcolor": LINE,
            "zeroline": False,
            "automargin": True,
            "fixedrange": True,
        },
    )
    return {"data": traces, "layout": layout}


def with_salience_axis(layout: dict) -> dict:
    """`layout`, of a horizontal bar chart, with salience 0..3 along it and its bars top down."""
    layout["xaxis"] = {
        "range": [0, 3.4],
        "tickvals": [0, 1, 2, 3],
        "title": {"text": "Salience (3 = central)", "font": {"size": 12, "color": MUTED}},
        "gridcolor": LINE,
        "automargin": True,
        "fixedrange": True,
    }
    layout["yaxis"] = {"autorange": "reversed", "automargin": True, "fixedrange": True}
    return layout
