"""Every Plotly figure Citynet draws. The only module that imports plotly.

Each `<subject>_figure(rows)` takes plain data (the shapes built in `networks.aggregates`)
and returns a `go.Figure`; nothing here touches the database, a request or the settings.
Views turn a figure into JSON with `figure_json` and the page's static script draws it
with the vendored plotly.js. Click targets travel in `customdata`: the id of the evidence
an element stands for, or the URL of the page it opens.
"""

import json
import math
from collections import defaultdict

import plotly.graph_objects as go

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
INK = "#1d2330"
MUTED = "#5b6475"
LINE = "#d9dee7"
ACCENT = "#1f5fa8"
NETWORK_SIDE = "#c2571a"
LOGIC_INK = "#a0521d"
# Salience 0..3, the same four colours as the salience badges in citynet.css.
SALIENCE_COLOURS = ["#eef1f5", "#cfe0f3", "#7fb0e0", "#1f5fa8"]
SALIENCE_NAMES = {0: "explicitly not important", 1: "minor", 2: "important", 3: "central"}
OUTCOME_MARKS = {"met": "✓", "mixed": "±", "unmet": "✗", "unknown": "?", "": ""}
OUTCOME_WORDS = {
    "met": "met",
    "mixed": "mixed",
    "unmet": "unmet",
    "unknown": "unknown",
    "": "not applicable",
}
# A cell coded by several coders gets an outline: solid where they agree, dashed where they
# do not (dash and colour both differ, so the marks survive colour blindness and greyscale).
AGREEMENT_LINES = {
    "agreed": {"color": "#009e73", "width": 2.5, "dash": "solid"},
    "disputed": {"color": "#d55e00", "width": 3, "dash": "dash"},
}
AGREEMENT_TEXT = {"agreed": " =", "disputed": " ≠"}
# Colour-blind-safe qualitative palette (Okabe and Ito).
PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"]
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


def figure_json(figure: go.Figure) -> dict:
    """The figure as plain JSON data ({"data": [...], "layout": {...}}) for json_script."""
    return json.loads(figure.to_json())


def short_label(column: dict) -> str:
    """A code's short axis label, from its slug: 'knowledge' -> 'Knowledge'."""
    return column["code"].replace("-", " ").replace("_", " ").capitalize()


def _layout(**overrides) -> dict:
    layout = {
        "template": "none",
        "font": {"family": FONT, "size": 13, "color": INK},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "hoverlabel": {"font": {"family": FONT, "size": 13}, "align": "left"},
        "dragmode": False,
        "showlegend": False,
    }
    layout.update(overrides)
    return layout


def _code_tick(column: dict) -> str:
    # Logics are set apart from functions in the colour the pages use for them.
    label = short_label(column)
    return label if column["kind"] == "function" else f'<span style="color:{LOGIC_INK}">{label}</span>'


def _salience_heatmap(
    row_labels: list[str], columns: list[dict], cells: list[list[dict | None]], narrow: bool = False
) -> go.Figure:
    """A salience heatmap; `cells[r][c]` is {"salience", "text", "hover", "target"} or None,
    optionally with "mark": "agreed" or "disputed" (see AGREEMENT_LINES).

    Rows are the `row_labels` and columns the codes; `narrow` turns it a quarter (codes
    down the side), which reads better on a phone. An uncoded cell is a dotted outline."""
    z = [[cell["salience"] if cell else None for cell in row] for row in cells]
    text = [[cell["text"] if cell else "" for cell in row] for row in cells]
    hover = [
        [
            cell["hover"] if cell else f"{label} × {column['name']}: not coded"
            for cell, column in zip(row, columns, strict=True)
        ]
        for label, row in zip(row_labels, cells, strict=True)
    ]
    targets = [[cell["target"] if cell else "" for cell in row] for row in cells]
    marks = [[cell.get("mark") if cell else None for cell in row] for row in cells]
    steps = []
    for salience, colour in enumerate(SALIENCE_COLOURS):
        steps += [[salience / 4, colour], [(salience + 1) / 4, colour]]
    code_ticks = [_code_tick(column) for column in columns]
    n_functions = sum(column["kind"] == "function" for column in columns)
    if narrow:
        z, text, hover, targets, marks = (
            [list(line) for line in zip(*grid, strict=True)] for grid in (z, text, hover, targets, marks)
        )
        x_ticks, y_ticks = row_labels, code_ticks
    else:
        x_ticks, y_ticks = code_ticks, row_labels
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(len(x_ticks))),
            y=list(range(len(y_ticks))),
            text=text,
            texttemplate="%{text}",
            textfont={"size": 15},
            hovertext=hover,
            hoverinfo="text",
            customdata=targets,
            colorscale=steps,
            zmin=-0.5,
            zmax=3.5,
            showscale=False,
            xgap=4,
            ygap=4,
            hoverongaps=True,
        )
    )
    shapes = []
    for y, line in enumerate(z):
        for x, value in enumerate(line):
            if value is None:
                shapes.append(
                    {
                        "type": "rect",
                        "x0": x - 0.42,
                        "x1": x + 0.42,
                        "y0": y - 0.38,
                        "y1": y + 0.38,
                        "line": {"color": "#b8c0cc", "width": 1, "dash": "dot"},
                        "layer": "below",
                    }
                )
    for y, line in enumerate(marks):
        for x, mark in enumerate(line):
            if mark in AGREEMENT_LINES:
                shapes.append(
                    {
                        "type": "rect",
                        "x0": x - 0.46,
                        "x1": x + 0.46,
                        "y0": y - 0.42,
                        "y1": y + 0.42,
                        "line": AGREEMENT_LINES[mark],
                        "name": f"agreement-{mark}",
                    }
                )
    if 0 < n_functions < len(columns):
        # A rule between the functions and the logics.
        rule = n_functions - 0.5
        shapes.append(
            {"type": "line", "x0": rule, "x1": rule, "yref": "paper", "y0": 0, "y1": 1}
            if not narrow
            else {"type": "line", "y0": rule, "y1": rule, "xref": "paper", "x0": 0, "x1": 1}
        )
        shapes[-1]["line"] = {"color": MUTED, "width": 2}
    row_height = 44 if narrow else 56
    figure.update_layout(
        **_layout(
            height=max(150, 90 + row_height * len(y_ticks)),
            margin={"l": 8, "r": 8, "t": 8, "b": 8},
            shapes=shapes,
        )
    )
    figure.update_xaxes(
        side="top",
        tickvals=list(range(len(x_ticks))),
        ticktext=x_ticks,
        automargin=True,
        fixedrange=True,
        showgrid=False,
        zeroline=False,
    )
    figure.update_yaxes(
        tickvals=list(range(len(y_ticks))),
        ticktext=y_ticks,
        autorange="reversed",
        automargin=True,
        fixedrange=True,
        showgrid=False,
        zeroline=False,
    )
    return figure


def _agreement_hover(agreement: dict) -> str:
    """Hover lines for a cell coded by several coders: whether they agree, then each reading."""
    head = f"{agreement['coders']} coders {'agree' if agreement['status'] == 'agreed' else 'disagree'}:<br>"
    readings = [
        f"· {value['coder']}: {value['salience_label']}{', ' + value['outcome'] if value['outcome'] else ''}"
        if value["applied"]
        else f"· {value['coder']}: not applied"
        for value in agreement["values"]
    ]
    return head + "<br>".join(readings) + "<br>"


def comparison_figure(grid: dict, narrow: bool = False) -> go.Figure:
    """The city x code heatmap of a `matrix_grid`: one row per city (x network), functions
    then logics; colour is salience, the text adds the outcome, hover tells outcome and
    evidence count, and `customdata` holds each cell's evidence anchor for the click.
    Cells with an "agreement" (`agreement.matrix_with_agreement`) coded by several coders
    are outlined and marked = (agreed) or ≠ (disputed), with each coder's reading on hover.
    `narrow` puts the codes down the side instead (for a phone)."""
    cells = []
    for row in grid["rows"]:
        line = []
        for cell in row["cells"]:
            coded = cell["cell"]
            if coded is None:
                line.append(None)
                continue
            salience = coded["salience"]
            n = coded["evidence_count"]
            agreement = coded.get("agreement") or {}
            mark = agreement.get("status") if agreement.get("status") in AGREEMENT_LINES else None
            line.append(
                {
                    "salience": salience,
                    "text": f"{salience}{OUTCOME_MARKS.get(coded['outcome'], '')}{AGREEMENT_TEXT.get(mark, '')}",
                    "hover": (
                        f"<b>{row['label']}</b> × {cell['name']}<br>"
                        f"Salience {salience}: {SALIENCE_NAMES[salience]}<br>"
                        f"Outcome: {OUTCOME_WORDS.get(coded['outcome'], coded['outcome'])}<br>"
                        + (_agreement_hover(agreement) if mark else "")
                        + f"Evidence: {n} item{'s' if n != 1 else ''} · click to read"
                    ),
                    "target": cell["anchor"],
                    "mark": mark,
                }
            )
        cells.append(line)
    return _salience_heatmap([row["label"] for row in grid["rows"]], grid["codes"], cells, narrow)


def portfolio_figure(grid: dict, narrow: bool = False) -> go.Figure:
    """A city's portfolio (`portfolio_grid`): one row per network it belongs to, one column
    per code, colour and text the highest salience coded; `customdata` holds each coded
    cell's evidence anchor for the click; `narrow` puts the codes down the side."""
    cells = []
    for row in grid["rows"]:
        line = []
        for cell in row["cells"]:
            salience = cell["salience"]
            if salience is None:
                line.append(None)
                continue
            line.append(
                {
                    "salience": salience,
                    "text": str(salience),
                    "hover": (
                        f"<b>{row['network']['name']}</b> × {cell['name']}<br>"
                        f"Salience {salience}: {SALIENCE_NAMES[salience]} · click to read the evidence"
                    ),
                    "target": cell["anchor"],
                }
            )
        cells.append(line)
    labels = [row["network"]["acronym"] or row["network"]["name"] for row in grid["rows"]]
    return _salience_heatmap(labels, grid["codes"], cells, narrow)


def offer_and_use_figure(comparison: dict) -> go.Figure:
    """A network's own view beside its members' (`network_offer_and_use`): per function, the
    salience the network gives itself and the mean salience its members give it."""
    functions = comparison["functions"]
    labels = [short_label(function) for function in functions]
    n = comparison["members_coded"]
    member_hover = []
    for function in functions:
        named = ", ".join(f"{member['name']} {member['salience']}" for member in function["members"]) or "none"
        mean = "not coded" if function["members_mean"] is None else f"{function['members_mean']:.2f}"
        member_hover.append(
            f"<b>{function['name']}</b><br>Members' mean salience: {mean} (over {n} coded)<br>Mentioned by: {named}"
        )
    network_hover = [
        f"<b>{function['name']}</b><br>The network's own salience: "
        + (
            "not coded"
            if function["network_salience"] is None
            else f"{function['network_salience']} ({SALIENCE_NAMES[function['network_salience']]})"
        )
        for function in functions
    ]
    figure = go.Figure(
        [
            go.Bar(
                name="What the network says it offers",
                y=labels,
                x=[function["network_salience"] for function in functions],
                orientation="h",
                marker={"color": NETWORK_SIDE},
                hovertext=network_hover,
                hoverinfo="text",
                text=[function["network_salience"] for function in functions],
                textposition="outside",
            ),
            go.Bar(
                name=f"What its members say they use (mean of {n})",
                y=labels,
                x=[function["members_mean"] for function in functions],
                orientation="h",
                marker={"color": ACCENT},
                hovertext=member_hover,
                hoverinfo="text",
                text=[
                    None if function["members_mean"] is None else f"{function['members_mean']:.1f}"
                    for function in functions
                ],
                textposition="outside",
            ),
        ]
    )
    figure.update_layout(
        **_layout(
            barmode="group",
            height=120 + 62 * max(1, len(functions)),
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "traceorder": "normal"},
            margin={"l": 8, "r": 16, "t": 60, "b": 8},
            bargap=0.25,
        )
    )
    figure.update_xaxes(
        range=[0, 3.4],
        tickvals=[0, 1, 2, 3],
        title={"text": "Salience (3 = central)", "font": {"size": 12, "color": MUTED}},
        gridcolor=LINE,
        automargin=True,
        fixedrange=True,
    )
    figure.update_yaxes(autorange="reversed", automargin=True, fixedrange=True)
    return figure


def engagement_figure(rows: list[dict]) -> go.Figure:
    """Engagement over time (`engagement_series`): one line per network, level 0..3; a star
    marks the peak a source names, an open marker a date the source gives as approximate."""
    by_network: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_network[row["network"]].append(row)
    traces = []
    for index, (network, points) in enumerate(by_network.items()):
        points.sort(key=lambda point: point["date"])
        traces.append(
            go.Scatter(
                name=network,
                x=[point["date"] for point in points],
                y=[point["level"] for point in points],
                mode="lines+markers",
                line={"color": PALETTE[index % len(PALETTE)], "width": 3},
                marker={
                    "size": [18 if point["peak"] else 11 for point in points],
                    "symbol": [
                        ("star" if point["peak"] else "circle") + ("-open" if point["approximate"] else "")
                        for point in points
                    ],
                    "line": {"width": 2, "color": PALETTE[index % len(PALETTE)]},
                },
                hovertext=[
                    f"<b>{network}, {point['when']}</b><br>{point['level_label']}"
                    f"{' (the peak)' if point['peak'] else ''}<br>{point['source']}"
                    for point in points
                ],
                hoverinfo="text",
            )
        )
    figure = go.Figure(traces)
    figure.update_layout(
        **_layout(
            height=300,
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
            margin={"l": 8, "r": 16, "t": 40, "b": 8},
        )
    )
    figure.update_yaxes(
        range=[-0.3, 3.4],
        tickvals=[0, 1, 2, 3],
        ticktext=["None", "Low", "Moderate", "High"],
        gridcolor=LINE,
        automargin=True,
        fixedrange=True,
    )
    years = sorted(int(row["date"][:4]) for row in rows)
    if years:
        figure.update_xaxes(range=[f"{years[0] - 1}-07-01", f"{years[-1] + 1}-06-30"])
    figure.update_xaxes(type="date", gridcolor=LINE, automargin=True, fixedrange=True)
    return figure


def city_pair_figure(grid: dict, slugs: list[str]) -> go.Figure:
    """Two cities side by side (a `matrix_grid` of their codings): per code, one bar per
    city x network, coloured and ordered by the city's place in `slugs`; `customdata`
    holds the evidence anchor."""
    labels = [short_label(column) for column in grid["codes"]]
    order = {slug: index for index, slug in enumerate(slugs)}
    traces = []
    for row in sorted(grid["rows"], key=lambda row: (order.get(row["city"]["slug"], len(order)), row["label"])):
        colour = PALETTE[slugs.index(row["city"]["slug"]) % len(PALETTE)] if row["city"]["slug"] in slugs else MUTED
        name = f"{row['city']['name']} · {row['network']['acronym'] or row['network']['name']}"
        traces.append(
            go.Bar(
                name=name,
                y=labels,
                x=[cell["cell"]["salience"] if cell["cell"] else None for cell in row["cells"]],
                text=[cell["cell"]["salience"] if cell["cell"] else None for cell in row["cells"]],
                textposition="outside",
                cliponaxis=False,
                orientation="h",
                marker={"color": colour, "line": {"color": "#ffffff", "width": 1}},
                customdata=[cell["anchor"] if cell["cell"] else "" for cell in row["cells"]],
                hovertext=[
                    f"<b>{name}</b> × {cell['name']}<br>"
                    + (
                        f"Salience {cell['cell']['salience']}: {SALIENCE_NAMES[cell['cell']['salience']]}<br>"
                        f"Outcome: {OUTCOME_WORDS.get(cell['cell']['outcome'], '?')} · click to read"
                        if cell["cell"]
                        else "not coded"
                    )
                    for cell in row["cells"]
                ],
                hoverinfo="text",
            )
        )
    figure = go.Figure(traces)
    figure.update_layout(
        **_layout(
            barmode="group",
            height=140 + 34 * len(labels) * max(1, len(traces)) // 2 + 40,
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
            margin={"l": 8, "r": 16, "t": 50, "b": 8},
        )
    )
    figure.update_xaxes(
        range=[0, 3.4],
        tickvals=[0, 1, 2, 3],
        title={"text": "Salience (3 = central)", "font": {"size": 12, "color": MUTED}},
        gridcolor=LINE,
        automargin=True,
        fixedrange=True,
    )
    figure.update_yaxes(autorange="reversed", automargin=True, fixedrange=True)
    return figure


def logics_figure(rows: list[dict]) -> go.Figure:
    """Each city x network (`logic_weights`) placed by its strategic weight (x) and its
    legitimacy weight (y), sized by evidence, coloured by network. Points that would sit on
    top of each other are spread vertically a little (hover gives the exact values);
    `customdata` holds the anchor of the point's quotes."""
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
            go.Scatter(
                name=network,
                x=[rows[i]["strategic"] for i in indexes],
                y=[rows[i]["legitimacy"] + nudge[i] for i in indexes],
                mode="markers+text",
                text=[rows[i]["city"]["name"] for i in indexes],
                textposition=["top center" if above[i] else "bottom center" for i in indexes],
                cliponaxis=False,
                marker={
                    "size": [max(rows[i]["evidence_count"], 1) for i in indexes],
                    "sizemode": "area",
                    "sizeref": 2 * largest / 32**2,
                    "sizemin": 6,
                    "color": PALETTE[colour_index % len(PALETTE)],
                    "opacity": 0.85,
                    "line": {"color": "#ffffff", "width": 1},
                },
                customdata=[rows[i]["anchor"] for i in indexes],
                hovertext=[
                    f"<b>{rows[i]['label']}</b><br>Strategic weight {rows[i]['strategic']} "
                    f"(functions {rows[i]['functions']}, consequences "
                    f"{'not coded' if rows[i]['consequences'] is None else rows[i]['consequences']})<br>"
                    f"Legitimacy weight {rows[i]['legitimacy']}<br>"
                    f"Evidence: {rows[i]['evidence_count']} items · click for the quotes"
                    for i in indexes
                ],
                hoverinfo="text",
            )
        )
    figure = go.Figure(traces)
    top_x = max((row["strategic"] for row in rows), default=3)
    top_y = max((row["legitimacy"] for row in rows), default=3)
    figure.update_layout(
        **_layout(
            height=420,
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "itemsizing": "constant"},
            margin={"l": 8, "r": 8, "t": 40, "b": 8},
        )
    )
    figure.update_xaxes(
        title={"text": "Strategic weight →"},
        range=[-0.5, top_x + 3],
        gridcolor=LINE,
        zeroline=False,
        automargin=True,
        fixedrange=True,
    )
    figure.update_yaxes(
        title={"text": "Legitimacy weight →"},
        range=[-0.5, max(3, top_y) + 0.7],
        dtick=1,
        gridcolor=LINE,
        zeroline=False,
        automargin=True,
        fixedrange=True,
    )
    return figure


def member_map_figure(places: list[dict], narrow: bool = False) -> go.Figure:
    """Member places (`member_places`) on a world map: one trace per set of networks a place
    belongs to; places without coordinates are left out. `customdata` is the place's URL.
    The map zooms to the members when they span less than half the globe; `narrow` makes it
    shorter, to fit a phone's width without empty bands."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for place in places:
        if place["latitude"] is not None and place["longitude"] is not None:
            groups[" & ".join(place["networks"])].append(place)
    traces = []
    for index, (networks, members) in enumerate(sorted(groups.items(), key=lambda item: (" & " in item[0], item[0]))):
        traces.append(
            go.Scattergeo(
                name=networks,
                lat=[place["latitude"] for place in members],
                lon=[place["longitude"] for place in members],
                mode="markers",
                marker={
                    "size": 8,
                    "color": PALETTE[index % len(PALETTE)],
                    "line": {"color": "#ffffff", "width": 0.6},
                    "opacity": 0.9,
                },
                customdata=[place["url"] for place in members],
                hovertext=[
                    f"<b>{place['name']}</b> ({place['country']})<br>{place['kind']}<br>{' & '.join(place['networks'])}"
                    for place in members
                ],
                hoverinfo="text",
            )
        )
    figure = go.Figure(traces)
    longitudes = [place["longitude"] for members in groups.values() for place in members]
    fit = bool(longitudes) and len(longitudes) > 1 and max(longitudes) - min(longitudes) < 180
    figure.update_layout(
        **_layout(
            height=(250 if narrow else 460) + (40 if narrow and len(traces) > 1 else 0),
            showlegend=len(traces) > 1,
            legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            margin={"l": 0, "r": 0, "t": 30 if len(traces) > 1 else 0, "b": 0},
            dragmode="pan",
        )
    )
    figure.update_geos(
        projection_type="natural earth",
        showland=True,
        landcolor="#eef1f5",
        showcountries=True,
        countrycolor="#c3cad6",
        coastlinecolor="#aab3c2",
        showocean=True,
        oceancolor="#f7fafd",
        showframe=False,
        fitbounds="locations" if fit else False,
        resolution=110,
    )
    if not fit:
        # The whole world, less Antarctica (no member there).
        figure.update_geos(lataxis_range=[-58, 85])
    return figure


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


def network_graph_figure(graph: dict, query: str = "", narrow: bool = False) -> go.Figure:
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

    def line_trace(kinds: set[str], name: str, line: dict) -> go.Scatter:
        xs, ys = [], []
        for edge in graph["edges"]:
            if edge["kind"] in kinds:
                (x0, y0), (x1, y1) = positions[edge["source"]], positions[edge["target"]]
                xs += [x0, x1, None]
                ys += [y0, y1, None]
        return go.Scatter(x=xs, y=ys, mode="lines", name=name, line=line, hoverinfo="skip", showlegend=False)

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
        go.Scatter(
            name="nodes",
            x=[positions[node["id"]][0] for node in nodes],
            y=[positions[node["id"]][1] for node in nodes],
            mode="markers+text",
            text=texts,
            textposition="top center",
            textfont={"size": 12},
            marker={
                "size": sizes,
                "color": colours,
                "symbol": symbols,
                "opacity": opacity,
                "line": {"color": "#ffffff", "width": 0.8},
            },
            hovertext=hover,
            hoverinfo="text",
            customdata=customdata,
            showlegend=False,
        )
    )
    traces.append(
        go.Scatter(
            x=[],
            y=[],
            mode="lines",
            name="highlight",
            line={"color": "#d55e00", "width": 1.6},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for name, colour, symbol in [
        ("Network", NETWORK_SIDE, "square"),
        ("Sub-network", "#e8a87c", "diamond"),
        ("Place in one network", "#7fb0e0", "circle"),
        ("Place in several networks", ACCENT, "circle"),
    ]:
        traces.append(
            go.Scatter(
                x=[None], y=[None], mode="markers", name=name, marker={"color": colour, "symbol": symbol, "size": 10}
            )
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
    figure = go.Figure(traces)
    figure.update_layout(
        **_layout(
            height=760 if narrow else 560,
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            margin={"l": 0, "r": 0, "t": 30, "b": 0},
            annotations=annotations,
            hovermode="closest",
            dragmode="pan",
        )
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    return figure
