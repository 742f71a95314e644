"""Salience heatmaps: the comparison matrix (city x code) and a city's portfolio (network x code)."""

import functools
import textwrap

from networks.charts.style import AGREEMENT_LINES
from networks.charts.style import AGREEMENT_TEXT
from networks.charts.style import MUTED
from networks.charts.style import OUTCOME_MARKS
from networks.charts.style import OUTCOME_WORDS
from networks.charts.style import SALIENCE_COLOURS
from networks.charts.style import UNRATED_COLOUR
from networks.charts.style import UNRATED_LINE
from networks.charts.style import base_layout
from networks.charts.style import code_tick
from networks.salience import UNRATED_LABEL
from networks.salience import UNRATED_MARK
from networks.salience import salience_label

RULE_LABEL = "← network functions │ logics of participation →"
RULE_LABEL_NARROW = "↑ above the line: functions<br>↓ below it: logics"
# Where an unrated cell sits on the colour scale: below 0, in a band of its own.
UNRATED_Z = -1


def definition_hover(column: dict, width: int = 60) -> str:
    """The first sentence of a column's codebook definition (if it has one) as hover lines."""
    definition = column.get("definition", "")
    return _first_sentence_lines(definition, width) if definition else ""


@functools.lru_cache(maxsize=256)
def _first_sentence_lines(definition: str, width: int) -> str:
    # Every cell of a column repeats its hover lines: wrapped once per definition, not per
    # cell (textwrap was a tenth of a cold comparison page).
    sentence = definition.split(". ")[0].rstrip(".") + "."
    return "<i>" + "<br>".join(textwrap.wrap(sentence, width)) + "</i><br>"


def _salience_heatmap(
    row_labels: list[str], columns: list[dict], cells: list[list[dict | None]], narrow: bool = False
) -> dict:
    """A salience heatmap; `cells[r][c]` is {"salience", "text", "hover", "target"} or None,
    optionally with "mark": "agreed" or "disputed" (see AGREEMENT_LINES).

    Rows are the `row_labels` and columns the codes; `narrow` turns it a quarter (codes
    down the side), which reads better on a phone. An uncoded cell is a dotted outline; a
    cell coded but not rated (salience None) is white in a solid outline, at UNRATED_Z."""
    z = [
        [(UNRATED_Z if cell["salience"] is None else cell["salience"]) if cell else None for cell in row]
        for row in cells
    ]
    text = [[cell["text"] if cell else "" for cell in row] for row in cells]
    hover = [
        [
            cell["hover"] if cell else f"{label} × {column['name']}: not coded" + _definition_line(column)
            for cell, column in zip(row, columns, strict=True)
        ]
        for label, row in zip(row_labels, cells, strict=True)
    ]
    targets = [[cell["target"] if cell else "" for cell in row] for row in cells]
    marks = [[cell.get("mark") if cell else None for cell in row] for row in cells]
    steps = []
    for band, colour in enumerate([UNRATED_COLOUR, *SALIENCE_COLOURS]):
        steps += [[band / 5, colour], [(band + 1) / 5, colour]]
    code_ticks = [code_tick(column) for column in columns]
    n_functions = sum(column["kind"] == "function" for column in columns)
    if narrow:
        z, text, hover, targets, marks = (
            [list(line) for line in zip(*grid, strict=True)] for grid in (z, text, hover, targets, marks)
        )
        x_ticks, y_ticks = row_labels, code_ticks
    else:
        x_ticks, y_ticks = code_ticks, row_labels
    heatmap = {
        "type": "heatmap",
        "z": z,
        "x": list(range(len(x_ticks))),
        "y": list(range(len(y_ticks))),
        "text": text,
        "texttemplate": "%{text}",
        "textfont": {"size": 15},
        "hovertext": hover,
        "hoverinfo": "text",
        "customdata": targets,
        "colorscale": steps,
        "zmin": UNRATED_Z - 0.5,
        "zmax": 3.5,
        "showscale": False,
        "xgap": 4,
        "ygap": 4,
        "hoverongaps": True,
    }
    shapes = []
    for y, line in enumerate(z):
        for x, value in enumerate(line):
            if value is None or value == UNRATED_Z:
                shapes.append(
                    {
                        "type": "rect",
                        "x0": x - 0.42,
                        "x1": x + 0.42,
                        "y0": y - 0.38,
                        "y1": y + 0.38,
                        **(
                            {"line": {"color": "#b8c0cc", "width": 1, "dash": "dot"}, "layer": "below"}
                            if value is None
                            else {"line": UNRATED_LINE, "name": "unrated"}
                        ),
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
    annotations = []
    if 0 < n_functions < len(columns):
        # A rule between the functions and the logics, labelled below the chart.
        rule = n_functions - 0.5
        shapes.append(
            {"type": "line", "x0": rule, "x1": rule, "yref": "paper", "y0": 0, "y1": 1}
            if not narrow
            else {"type": "line", "y0": rule, "y1": rule, "xref": "paper", "x0": 0, "x1": 1}
        )
        shapes[-1]["line"] = {"color": MUTED, "width": 2}
        annotations.append(
            {
                "name": "functions-and-logics",
                "text": RULE_LABEL_NARROW if narrow else RULE_LABEL,
                "showarrow": False,
                "yref": "paper",
                "y": 0,
                "yanchor": "top",
                "yshift": -4,
                "font": {"size": 12, "color": MUTED},
                **(
                    {"xref": "paper", "x": 0, "xanchor": "left", "align": "left"}
                    if narrow
                    else {"x": rule, "xanchor": "center"}
                ),
            }
        )
    row_height = 44 if narrow else 56
    layout = base_layout(
        height=max(150, 90 + row_height * len(y_ticks) + (24 if annotations else 0) * (2 if narrow else 1)),
        margin={"l": 8, "r": 8, "t": 8, "b": (48 if narrow else 30) if annotations else 8},
        shapes=shapes,
        annotations=annotations,
        xaxis={
            "side": "top",
            "tickvals": list(range(len(x_ticks))),
            "ticktext": x_ticks,
            "automargin": True,
            "fixedrange": True,
            "showgrid": False,
            "zeroline": False,
        },
        yaxis={
            "tickvals": list(range(len(y_ticks))),
            "ticktext": y_ticks,
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
            "showgrid": False,
            "zeroline": False,
        },
    )
    return {"data": [heatmap], "layout": layout}


def turned_layout(narrow: dict) -> dict:
    """A heatmap's `narrow` figure as a page carries it beside the wide one: its layout alone,
    marked `transpose`, so that static/js/citynet.js draws the wide figure's cells turned a
    quarter (which is what `narrow` holds: every cell array transposed, x and y swapped). The
    cells' hover texts are then carried once, not twice: 310 KB of a well-connected city's
    960 KB profile."""
    return {"layout": narrow["layout"], "transpose": True}


def _salience_hover(salience: int | None) -> str:
    if salience is None:
        return UNRATED_LABEL.capitalize() + " (no salience given)"
    return f"Salience {salience}: {salience_label(salience)}"


def _definition_line(column: dict) -> str:
    hover = definition_hover(column)
    return "<br>" + hover.removesuffix("<br>") if hover else ""


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


def comparison_figure(grid: dict, narrow: bool = False) -> dict:
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
            shown = UNRATED_MARK if salience is None else salience
            line.append(
                {
                    "salience": salience,
                    "text": f"{shown}{OUTCOME_MARKS.get(coded['outcome'], '')}{AGREEMENT_TEXT.get(mark, '')}",
                    "hover": (
                        f"<b>{row['label']}</b> × {cell['name']}<br>"
                        + definition_hover(cell)
                        + _salience_hover(salience)
                        + "<br>"
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


def portfolio_figure(grid: dict, narrow: bool = False) -> dict:
    """A city's portfolio (`portfolio_grid`): one row per network it belongs to, one column
    per code, colour and text the highest salience coded; `customdata` holds each coded
    cell's evidence anchor for the click; `narrow` puts the codes down the side."""
    cells = []
    for row in grid["rows"]:
        line = []
        for cell in row["cells"]:
            salience = cell["salience"]
            if not cell.get("coded", salience is not None):
                line.append(None)
                continue
            line.append(
                {
                    "salience": salience,
                    "text": UNRATED_MARK if salience is None else str(salience),
                    "hover": (
                        f"<b>{row['network']['name']}</b> × {cell['name']}<br>"
                        + definition_hover(cell)
                        + _salience_hover(salience)
                        + " · click to read the evidence"
                    ),
                    "target": cell["anchor"],
                }
            )
        cells.append(line)
    labels = [row["network"]["acronym"] or row["network"]["name"] for row in grid["rows"]]
    return _salience_heatmap(labels, grid["codes"], cells, narrow)
